{
    "name": "ISP Customers",
    "summary": "Customers and prospects of an Internet or hosting provider: "
    "numbering, prospect stages, customer classes, billing profile, prepaid credit",
    "version": "18.0.1.0.0",
    "category": "Sales/ISP",
    "author": "ISP Billing",
    "website": "https://github.com/isp-billing/isp-billing",
    "license": "LGPL-3",
    "depends": ["account", "contacts", "portal", "sales_team", "mail"],
    "data": [
        "security/isp_customer_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/isp_prospect_stage_data.xml",
        "data/res_partner_category_data.xml",
        "data/mail_template_data.xml",
        "views/isp_prospect_stage_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/isp_credit_topup_views.xml",
        "views/isp_customer_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "isp_customer/static/tests/tours/*.js",
        ],
    },
    "demo": [
        "demo/res_users_demo.xml",
        "demo/res_partner_demo.xml",
        "demo/res_users_portal_demo.xml",
        "demo/account_demo.xml",
    ],
    "application": True,
}
