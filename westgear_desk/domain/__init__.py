"""Pure business rules: money and VAT, product validation, order states, freight, quote pricing. No I/O."""
