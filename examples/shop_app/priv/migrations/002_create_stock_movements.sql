CREATE TABLE stock_movements (
  id bigserial PRIMARY KEY,
  product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  quantity integer NOT NULL CHECK (quantity <> 0),
  reason text NOT NULL,
  inserted_at timestamptz NOT NULL DEFAULT now()
)
