"""Every string the API shows a user, in one place.

The first block is the API guide's text byte for byte (tests compare it with the guide).
The second block covers answers the guide does not list; they follow its tone.
"""

# From the API guide (auth-api-guide.fa.md).
USERNAME_AND_PASSWORD_REQUIRED = "نام کاربری و رمز عبور الزامی است."  # noqa: S105 - a message, not a password
INVALID_CREDENTIALS = "نام کاربری یا رمز عبور اشتباه است."
ACCOUNT_INACTIVE = "حساب کاربری شما غیرفعال شده است."
NO_CHANNELS = "شما به هیچ کانالی دسترسی ندارید."
USER_DATA_NOT_FOUND = "اطلاعات کاربر یافت نشد."
SERVER_ERROR = "خطای سرور در احراز هویت"

# Beyond the guide. ROUTE_NOT_FOUND, PAYLOAD_TOO_LARGE, TOO_MANY_REQUESTS, BAD_REQUEST and SERVER_ERROR
# also stand in template.yaml's GatewayResponses (API Gateway answers without the function there);
# tests/unit/test_messages.py fails when the two differ.
TOO_MANY_ATTEMPTS = "تعداد تلاش\u200cهای ناموفق بیش از حد مجاز است. لطفاً بعداً دوباره تلاش کنید."
INVALID_JSON_BODY = "بدنه درخواست باید یک شیء JSON معتبر باشد."
INVALID_CHARACTERS = "درخواست شامل نویسه\u200cهای نامعتبر است."
INVALID_SERVER_URL = "آدرس سرور LiveKit نامعتبر است."
UNSUPPORTED_MEDIA_TYPE = "نوع محتوای درخواست باید application/json باشد."
PAYLOAD_TOO_LARGE = "حجم درخواست بیش از حد مجاز است."
ROUTE_NOT_FOUND = "مسیر درخواستی یافت نشد."
BAD_REQUEST = "درخواست نامعتبر است."
TOO_MANY_REQUESTS = "تعداد درخواست\u200cها بیش از حد مجاز است. لطفاً بعداً دوباره تلاش کنید."
SERVER_ERROR_DETAILS = "شناسه درخواست: {request_id}"

# Sessions and the token endpoint (beyond the guide).
INVALID_SESSION_FLAG = "مقدار session باید true یا false باشد."
INVALID_DEVICE = "نام دستگاه نامعتبر است: متنی قابل نمایش با حداکثر ۶۴ نویسه."
SESSION_REQUIRED = "نشست معتبر نیست یا به پایان رسیده است. لطفاً دوباره وارد شوید."
INVALID_TOKEN_REQUEST = "درخواست توکن نامعتبر است."  # noqa: S105 - a message
FIELD_NOT_CONFIGURABLE = "فیلد {field} را نمی\u200cتوان در درخواست تعیین کرد."
ROOM_NOT_ALLOWED = "شما به این اتاق دسترسی ندارید."
IDENTITY_NOT_ALLOWED = "این شناسه شرکت\u200cکننده برای شما مجاز نیست."
