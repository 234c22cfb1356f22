"""Typed refusals of the payments app (资金发放), each with a code from :class:`ErrorCode`."""

from enum import StrEnum

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class ErrorCode(StrEnum):
    ROLL_NOT_FOUND = "payments.roll_not_found"
    LINE_NOT_FOUND = "payments.line_not_found"
    ACCOUNT_NOT_FOUND = "payments.account_not_found"
    BANK_FILE_NOT_FOUND = "payments.bank_file_not_found"
    INVALID_MONTH = "payments.invalid_month"
    INVALID_REGION = "payments.invalid_region"
    INVALID_ACCOUNT = "payments.invalid_account"
    ROLL_EXISTS = "payments.roll_exists"
    ROLL_STATE = "payments.roll_state"
    SAME_MAKER_CHECKER = "payments.same_maker_checker"
    LINE_IMMUTABLE = "payments.line_immutable"
    LINE_NOT_FAILED = "payments.line_not_failed"
    RETURN_FILE_INVALID = "payments.return_file_invalid"
    RETURN_FILE_DUPLICATE = "payments.return_file_duplicate"
    NOTHING_TO_PAY = "payments.nothing_to_pay"


class PaymentNotFound(NotFound):
    code = ErrorCode.ROLL_NOT_FOUND


class InvalidPaymentInput(ValidationFailed):
    code = ErrorCode.INVALID_MONTH


class PaymentConflict(Conflict):
    code = ErrorCode.ROLL_STATE


class MakerCheckerViolation(PermissionDenied):
    code = ErrorCode.SAME_MAKER_CHECKER


class ReturnFileInvalid(ValidationFailed):
    code = ErrorCode.RETURN_FILE_INVALID


class BankFileNotFound(NotFound):
    code = ErrorCode.BANK_FILE_NOT_FOUND
