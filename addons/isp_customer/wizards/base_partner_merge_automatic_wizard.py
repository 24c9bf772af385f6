from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_values(self, src_partners, dst_partner):
        """The surviving partner keeps its own customer number, class and billing profile.

        Numbers of the merged partners are logged in its chatter. A survivor without a
        number takes the oldest merged one (and becomes a customer), so that the customer
        keeps the number printed on earlier documents.
        """
        fnames = dst_partner._isp_manager_fields() + dst_partner._isp_manager_standard_fields()
        kept = {fname: dst_partner._fields[fname].convert_to_write(dst_partner[fname], dst_partner) for fname in fnames}
        numbered = src_partners.filtered("isp_customer_number").sorted("id")
        numbers = numbered.mapped("isp_customer_number")
        merge_env = {"isp_merge": True}
        if numbers:
            numbered.with_context(**merge_env).sudo().write({"isp_customer_number": False})
            if not dst_partner.isp_customer_number:
                kept["isp_customer_number"] = numbers[0]
                if dst_partner.isp_lifecycle != "former":
                    kept["isp_lifecycle"] = "customer"
        # Odoo copies the merged partners' values into the survivor's empty fields; done as
        # superuser because the survivor's manager-only fields are put back right after.
        result = super()._update_values(src_partners.sudo(), dst_partner.sudo())
        dst_partner.with_context(**merge_env).sudo().write(kept)
        if numbers:
            dst_partner._isp_log_merged_numbers(numbers)
        return result
