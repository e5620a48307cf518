"""PDFs and e-mails: data in, bytes out."""
