"""Bot core: briefs in, drafts out. Knows no chat platform; adapters convert to and from it."""
