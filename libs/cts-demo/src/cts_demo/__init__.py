"""`make demo`: one real session end to end on the local stack, outside the client library
(it starts the stack, the services and the scripted model as processes)."""
