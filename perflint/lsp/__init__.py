"""`perflint server`: a language server that keeps the whole project's summaries warm."""
