import logging

from psycopg2 import errors as pg_errors

from odoo import api, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class IrCron(models.Model):
    _inherit = "ir.cron"

    @api.model
    def _isp_process_isolated(self, records, process, on_error=None, together=False):
        """Call ``process(record)`` for each record in a savepoint of its own, so that one broken
        record does not stop a scheduled run for all the others.

        A record that fails is rolled back, logged with its traceback (a warning: the run goes on)
        and handed to ``on_error(record, message)``, which records the error where users see it.
        Serialization failures are raised: the whole transaction is retried.

        :param together: first try ``process(records)`` for all of them at once (faster), and only
            when that fails record by record
        :return: the records that failed
        """
        if together and records:
            try:
                with self.env.cr.savepoint():
                    process(records)
                return records.browse()
            except pg_errors.SerializationFailure:
                raise
            except Exception:
                _logger.info("Scheduled run: %s %s at once failed, one by one", len(records), records._name)
        failed = records.browse()
        for record in records:
            try:
                with self.env.cr.savepoint():
                    process(record)
            except pg_errors.SerializationFailure:
                raise
            except Exception as error:
                _logger.warning(
                    "Scheduled run: %s %s failed, the others go on",
                    record._description,
                    record.display_name,
                    exc_info=True,
                )
                failed |= record
                if on_error:
                    with self.env.cr.savepoint():
                        on_error(record, self._isp_error_message(error))
        return failed

    @api.model
    def _isp_error_message(self, error):
        """The message of a refused action as it is; of a bug, with its kind."""
        if isinstance(error, UserError):
            return str(error)
        return f"{error.__class__.__name__}: {error}"
