from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_values(self, src_partners, dst_partner):
        """The surviving partner keeps its own customer number and class.

        Numbers of the merged partners are logged in its chatter. A survivor
        without a number takes the oldest merged one, so that the customer keeps
        the number printed on earlier documents.
        """
        numbered = src_partners.filtered("isp_customer_number").sorted("id")
        numbers = numbered.mapped("isp_customer_number")
        kept = {fname: dst_partner[fname] for fname in dst_partner._isp_manager_fields()}
        adopted = False
        if numbers:
            numbered.with_context(isp_merge=True).sudo().write({"isp_customer_number": False})
            if not dst_partner.isp_customer_number:
                adopted = numbers[0]
        result = super()._update_values(src_partners, dst_partner)
        dst_values = {
            fname: dst_partner._fields[fname].convert_to_write(value, dst_partner) for fname, value in kept.items()
        }
        if adopted:
            dst_values["isp_customer_number"] = adopted
        dst_partner.with_context(isp_merge=True).sudo().write(dst_values)
        if numbers:
            dst_partner._isp_log_merged_numbers(numbers)
        return result
