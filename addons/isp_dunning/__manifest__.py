{
    "name": "ISP Dunning",
    "summary": "Dunning profiles and levels, daily dunning runs, fees, statutory interest, letters, suspension",
    "version": "18.0.1.0.0",
    "category": "Sales/ISP",
    "author": "ISP Billing",
    "website": "https://github.com/isp-billing/isp-billing",
    "license": "LGPL-3",
    "depends": ["isp_sales"],
    "data": [
        "security/ir.model.access.csv",
    ],
}
