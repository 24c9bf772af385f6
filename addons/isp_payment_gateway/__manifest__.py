{
    "name": "ISP Payment Gateway",
    "summary": "SEPA mandates and direct debit files, returns, online payments and credit top-up",
    "version": "18.0.1.1.0",
    "category": "Sales/ISP",
    "author": "ISP Billing",
    "website": "https://github.com/isp-billing/isp-billing",
    "license": "LGPL-3",
    "depends": ["isp_dunning", "payment", "account_payment"],
    "external_dependencies": {"python": ["sepaxml"]},
    "data": [
        "security/ir.model.access.csv",
        "security/isp_payment_gateway_security.xml",
        "data/isp_payment_gateway_data.xml",
        "report/isp_sepa_mandate_report.xml",
        "views/isp_sepa_mandate_views.xml",
        "views/isp_debit_batch_views.xml",
        "views/isp_debit_return_views.xml",
        "views/isp_mandate_portal_templates.xml",
        "views/isp_dashboard_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "isp_payment_gateway/static/tests/tours/*.js",
        ],
    },
    "demo": [
        "demo/res_company_demo.xml",
        "demo/isp_sepa_mandate_demo.xml",
        # last: the history runs on all the demo data above
        "demo/isp_demo_history.xml",
    ],
}
