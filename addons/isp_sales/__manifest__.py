{
    "name": "ISP Sales and Billing",
    "summary": "ISP articles, service instances, automated order handling and the periodic invoice run",
    "version": "18.0.1.0.0",
    "category": "Sales/ISP",
    "author": "ISP Billing",
    "website": "https://github.com/isp-billing/isp-billing",
    "license": "LGPL-3",
    "depends": ["isp_customer", "sale_management", "account_payment"],
    "data": [
        "security/ir.model.access.csv",
    ],
}
