"""The `tf-dynemb` command: one module per subcommand."""
