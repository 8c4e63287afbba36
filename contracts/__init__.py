"""The SubmitJob contract as language-neutral data: rule catalogue, type table, vectors."""
