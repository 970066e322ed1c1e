"""Embedding tables below the layers: lookups over a table split row-wise
into shards, and tables initialised shard by shard where each shard lives."""
