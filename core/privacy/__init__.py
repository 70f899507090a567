"""Personal data: field encryption with key ids, blind indexes, masking, audited reads."""
