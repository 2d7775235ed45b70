"""The sandbox engine: tokenizer, command table, namespace rewriting, executor, formatter."""
