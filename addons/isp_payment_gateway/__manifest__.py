{
    "name": "ISP Payment Gateway",
    "summary": "SEPA mandates and direct debit files, returns, online payments and credit top-up",
    "version": "18.0.1.0.0",
    "category": "Sales/ISP",
    "author": "ISP Billing",
    "website": "https://github.com/isp-billing/isp-billing",
    "license": "LGPL-3",
    "depends": ["isp_dunning", "payment", "account_payment"],
    "external_dependencies": {"python": ["sepaxml"]},
    "data": [
        "security/ir.model.access.csv",
    ],
}
