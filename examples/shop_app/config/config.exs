import Config

config :shop, Shop.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  port: 5432,
  database: "shop_dev"

config :logger, level: :warning

import_config "#{config_env()}.exs"
