"""Purchasing: reorder rules, requisitions, purchase orders and their approval, receipts with inspection, put-away, supplier bills."""
