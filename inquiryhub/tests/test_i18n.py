"""Every user-facing string is translated into Chinese, and the compiled catalogue is current."""

import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = ["accounts", "inquiries", "reports", "inquiryhub", "templates", "manage.py", "locale"]


def test_every_catalogue_entry_has_a_chinese_translation():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po if not e.translated() and not e.obsolete]
    assert untranslated == []


def test_compiled_catalogue_matches_the_source():
    # Keyed by context and msgid: "Effect" as a table header (pgettext) is not the bare "Effect".
    po = {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(PO)) if e.translated() and not e.msgid_plural}
    mo = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo"))) if not e.msgid_plural}
    assert {k: v for k, v in po.items() if mo.get(k) != v} == {}


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path):
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        else:
            shutil.copy(source, tmp_path / name)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    missing = sorted(e.msgid for e in fresh if not e.translated() and not e.obsolete)
    assert missing == [], "run `manage.py makemessages -l zh_Hans` and translate these"


# Different English words that mean the same thing in Chinese, on purpose. Anything else sharing a
# translation is a label a user could mistake for another ("Waiting" the job state and "Waiting" the
# queue's time column were one msgid): give it a pgettext context or its own words.
SAME_MEANING = {
    "标记无效": {"flag invalid", "invalid flag"},
    "录入订单": {"order recorded", "record an order", "record order"},
    "询盘编号": {"inquiry no", "inquiry number"},
    "显示名称": {"display name", "name shown"},
    "休假中": {"away", "away (on leave)"},
    "账号": {"account", "account code"},
    "主账号": {"main", "main account"},
    "业务员": {"salespeople", "salesperson"},
    "子账号": {"sub", "sub-account"},
    "负责人": {"held by", "holder"},
    "质量争议": {"dispute", "quality dispute"},
    "时间": {"time", "when"},
    "询盘": {"inquiry", "store inquiry"},
    "未分配": {"unallocated", "unassigned"},
    "状态": {"state", "status"},
    "金额（美元）": {"amount (usd)", "revenue (usd)"},
    "金额过大。": {"that amount is too large", "the amount is too large"},
    "取消原因": {"reason cancelled", "why was it cancelled?"},
    "流失原因": {"reason lost", "why was it lost?"},
    "报价时间": {"quoted", "quoted on"},
    "原因": {"reason", "why"},
    "待回复": {"new", "to reply"},
    "下次跟进": {"next action", "next follow-up"},
    "回复": {"reply", "response"},
    "已完成": {"done", "ready"},
    "全部询盘": {"all inquiries", "all mine"},
    "已超时 %(time)s": {"%(time)s late", "overdue by %(time)s"},
    "对比月份": {"baseline month", "compared with"},
    "因素": {"effect", "factor"},
    "记录报价": {"log a quote", "log quote"},
    "阿里后台名称": {"alibaba name", "name in alibaba", "name in alibaba' back office"},
    "平均回复时长（小时）": {"average reply time (h)", "average reply time (hours)"},
    "默认机器人": {"default robot", "the default robot"},
    "从公海认领": {"claimed from the pool", "claimed from the public pool"},
    "从公海分配": {"allocated from the pool", "allocated from the public pool"},
    "公海规则": {"pool rule", "public pool rule"},
    "删除": {"delete", "remove"},
    "已关闭": {"off", "turned off"},
}


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def _meaning(msgid: str) -> str:
    """The msgid without what Chinese does not mark: case, a final full stop, the plural."""
    return " ".join(_singular(word) for word in msgid.lower().strip().rstrip(".").split(" "))


def test_no_two_different_source_strings_share_a_translation_by_accident():
    sources = defaultdict(set)
    for entry in polib.pofile(str(PO)):
        if entry.translated() and not entry.obsolete and not entry.msgid_plural:
            sources[entry.msgstr].add(_meaning(entry.msgid))
    shared = {text: ids for text, ids in sources.items() if len(ids) > 1}
    accidental = {
        text: sorted(ids) for text, ids in shared.items() if ids != {_meaning(i) for i in SAME_MEANING.get(text, ())}
    }
    assert accidental == {}


def test_one_word_used_in_two_senses_has_a_context_for_each():
    waiting = {e.msgctxt: e.msgstr for e in polib.pofile(str(PO)) if e.msgid == "Waiting"}
    assert waiting == {"job status": "排队中", "time since arrival": "等待时长"}
