"""Pure business rules: money and VAT, product validation, orders, freight, quote pricing.

No I/O, no Qt, no SQL: everything here is tested with plain pytest and hypothesis.
"""
