"""The registration centre's local time zone: dates (deadlines, numbering years) are local."""
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
