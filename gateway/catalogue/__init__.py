"""The unified materials list (统一申请材料目录清单) and the registration fee tariff."""
