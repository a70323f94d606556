"""perflint rules, one per file, grouped by family (installed as perflint.rules)."""
