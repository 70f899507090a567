"""Certificate types the platform knows, with their names in each language."""

from __future__ import annotations

CERTIFICATE_TYPES: dict[str, dict[str, str]] = {
    "electrician_licence": {"zh_CN": "特种作业操作证（电工）", "en": "Electrician's licence"},
    "health_certificate": {"zh_CN": "健康证", "en": "Health certificate"},
    "housekeeping_training": {
        "zh_CN": "家政服务培训证书",
        "en": "Housekeeping training certificate",
    },
    "teacher_qualification": {"zh_CN": "教师资格证", "en": "Teacher qualification certificate"},
    "no_criminal_record": {"zh_CN": "无犯罪记录证明", "en": "No-criminal-record certificate"},
    "police_filing": {"zh_CN": "公安备案", "en": "Police filing"},
}


def certificate_label(code: str) -> dict[str, str]:
    return CERTIFICATE_TYPES.get(code, {"zh_CN": code, "en": code})
