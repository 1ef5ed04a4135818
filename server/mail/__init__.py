"""Documents sent by e-mail: a purchase order to its supplier, an invoice, a delivery note or a statement to its customer."""
