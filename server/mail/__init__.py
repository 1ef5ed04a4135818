"""Documents sent by e-mail: a purchase order to its supplier, an invoice or a statement to its customer."""
