"""What a run writes: the console table, JUnit XML, the Markdown or HTML document, the
reproductions they carry, and the masking every written text goes through."""
