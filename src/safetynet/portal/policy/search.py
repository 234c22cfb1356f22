"""Policy answers with citations (政策问答): the demo city's policy documents as numbered
articles (``corpus.yaml``), searched with jieba tokenisation and BM25 (``rank_bm25``).

An answer is the best article passages, each cited (document, number, article, effective date),
with the article's one-line plain answer when the best match is clear, or "we could not find this"
with the contacts when nothing matches well. No hosted model: everything is in this process.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import jieba
import yaml
from django.utils.translation import gettext as _
from rank_bm25 import BM25Okapi

from safetynet.portal.errors import InvalidQuestion

CORPUS = Path(__file__).with_name("corpus.yaml")
MAX_QUESTION = 200
TOP = 3
#: Below this BM25 score the best passage is not a good enough match to cite as the answer.
MIN_SCORE = 3.0
#: The best passage must match at least this many of the question's own words (directly or
#: through the thesaurus), else one generic word ("办理") is all it shares with a question the
#: documents do not cover ("怎么办理护照").
MIN_MATCHED_WORDS = 2
#: The one-line answer is given only when the best passage is this much ahead of the next one,
#: or the next one is from the same document.
ANSWER_LEAD = 1.15

#: Terms of the policies that jieba should keep whole.
USER_WORDS = (
    "低保", "特困", "低保边缘", "临时救助", "医疗救助", "残疾人证", "护理补贴", "生活补贴", "渐退期",
    "渐退", "起付线", "起付标准", "赡养费", "抚恤金", "奖学金", "敬老院", "五保", "五保户", "公示",
    "受理编号", "先行救助", "一站式", "个体工商户", "有价证券", "机动车", "三轮车", "摩托车", "代步车",
    "自住房", "孤寡老人", "重度残疾", "重病", "12345", "便民服务中心", "入户调查", "复议", "分类施保",
)

#: Everyday words → the words the documents use (a thesaurus, not a list of questions).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "打工": ("务工", "外出"),
    "上班": ("就业", "工资"),
    "工作": ("就业",),
    "看病": ("医疗", "医疗费"),
    "住院": ("医疗", "住院"),
    "医药费": ("医疗费",),
    "汽车": ("机动车", "车辆"),
    "小汽车": ("机动车", "车辆"),
    "车": ("机动车", "车辆"),
    "房子": ("住房", "房屋"),
    "存款": ("金融资产", "存款"),
    "股票": ("有价证券", "金融资产"),
    "基金": ("有价证券", "金融资产"),
    "钱": ("金额",),
    "五保": ("特困",),
    "五保户": ("特困",),
    "孤寡老人": ("特困", "无法定"),
    "没儿没女": ("无法定", "义务人"),
    "瘫痪": ("完全丧失", "自理"),
    "不能自理": ("丧失", "自理"),
    "老人": ("老年人",),
    "小孩": ("未成年人",),
    "孩子": ("未成年人", "子女"),
    "儿子": ("子女",),
    "女儿": ("子女",),
    "子女": ("赡养费", "义务人"),
    "老公": ("家庭成员",),
    "着火": ("火灾",),
    "车祸": ("交通事故",),
    "急事": ("紧急",),
    "不服": ("复议", "诉讼"),
    "批": ("审批",),
    "举报": ("举报",),
    "回复": ("答复",),
    "几点": ("工作日",),
    "学费": ("教育",),
    "生活费": ("赡养费",),
    "吃低保": ("低保",),
    "多拿": ("增发",),
    "多发": ("增发",),
    "泄露": ("保密",),
    "名字": ("姓名",),
    "外地户口": ("非本地", "户籍"),
    "开公司": ("企业", "法定代表人"),
    "公司": ("企业", "法定代表人"),
    "分出去": ("共同生活",),
    "涨": ("调整",),
    "三轮车": ("三轮车", "生产经营"),
    "别人": ("代办", "委托"),
    "帮": ("代办",),
    "帮忙": ("代办",),
    "去哪": ("哪里",),
    "审核": ("核查", "复核"),
    "变": ("变化",),
    "求助": ("救助",),
    "给钱": ("救助", "发放"),
}

STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 我 我们 你 他 她 是 有 在 能 能不能 可以 还 还能 就 都 也 要 会 不 没 没有 一个 "
    "什么 怎么 怎么办 多少 谁 这 那 个 和 与 及 或 给 让 把 被 对 一 下 上 去 来 家 家里 里 "
    "现在 已经 如果 是不是 不是 不能 不要 需要 情况 特别 一样 有人 还有 以后 "
    "一点 一点点 点点 自己 他们 请问 一下 想 知道".split()
)
_PUNCT = re.compile(r"[\s，。？！、；：,.?!;:“”\"'（）()《》〔〕【】\-—…·/]+")

logging.getLogger("jieba").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Article:
    key: str  # "document id/article no"
    doc_id: str
    doc_title: str
    doc_number: str
    effective: dt.date
    no: str
    text: str
    answer: str
    keywords: str


@dataclass(frozen=True)
class Passage:
    article: Article
    score: float

    @property
    def citation(self) -> str:
        number = f"（{self.article.doc_number}）" if self.article.doc_number else ""
        return f"《{self.article.doc_title}》{number}{self.article.no}，{self.article.effective:%Y年%-m月%-d日}起施行"


@dataclass(frozen=True)
class PolicyAnswer:
    question: str
    found: bool
    answer: str
    passages: tuple[Passage, ...]


def tokens(text: str) -> list[str]:
    """jieba search-mode tokens without stopwords and punctuation."""
    out = []
    for token in jieba.lcut_for_search(text):
        token = token.strip()
        if not token or _PUNCT.fullmatch(token) or token in STOPWORDS:
            continue
        out.append(token)
    return out


def _expand(words: list[str]) -> list[str]:
    out = list(words)
    for word in words:
        out.extend(SYNONYMS.get(word, ()))
    return out


class Index:
    """The corpus loaded and indexed once per process (a few milliseconds for ~60 articles)."""

    def __init__(self, path: Path = CORPUS) -> None:
        for word in USER_WORDS:
            jieba.add_word(word)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.articles: list[Article] = []
        for doc in data["documents"]:
            for art in doc["articles"]:
                self.articles.append(
                    Article(
                        key=f"{doc['id']}/{art['article']}",
                        doc_id=doc["id"],
                        doc_title=doc["title"],
                        doc_number=doc.get("number", ""),
                        effective=doc["effective"],
                        no=art["article"],
                        text=art["text"],
                        answer=art.get("answer", ""),
                        keywords=art.get("keywords", ""),
                    )
                )
        # The title counts once, the keywords once, the text once: a short article is not drowned
        # by its document's long title.
        documents = [tokens(f"{a.doc_title} {a.keywords} {a.text}") for a in self.articles]
        self.bm25 = BM25Okapi(documents)
        self.article_keywords = {a.key: frozenset(a.keywords.split()) for a in self.articles}
        self.article_words = {a.key: frozenset(doc) for a, doc in zip(self.articles, documents, strict=True)}
        self.by_key = {a.key: a for a in self.articles}

    def matched_words(self, question: str, article: Article) -> int:
        """How many distinct words of ``question`` the article has, directly or as a synonym."""
        have = self.article_words[article.key]
        if any(w in self.article_keywords[article.key] for w in tokens(question)):
            # A word the article is about (its keywords) counts as two: it is not a generic match.
            return MIN_MATCHED_WORDS
        return sum(1 for w in set(tokens(question)) if w in have or any(s in have for s in SYNONYMS.get(w, ())))

    def search(self, question: str, top: int = TOP) -> list[Passage]:
        words = _expand(tokens(question))
        if not words:
            return []
        scores = self.bm25.get_scores(words)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:top]
        return [Passage(self.articles[i], float(scores[i])) for i in order if scores[i] > 0]


_index: Index | None = None
_lock = threading.Lock()


def policy_index() -> Index:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = Index()
    return _index


def policy_answer(*, question: str) -> PolicyAnswer:
    """The best passages for ``question`` with their citations, and a one-line answer where the
    best article states one. Questions are bounded: empty or longer than 200 characters is refused."""
    question = (question or "").strip()
    if not question:
        raise InvalidQuestion(_("请输入您想问的问题"), field="question")
    if len(question) > MAX_QUESTION:
        raise InvalidQuestion(_("问题最多 %(n)d 字，请简短一些") % {"n": MAX_QUESTION}, field="question")
    index = policy_index()
    passages = index.search(question)
    if (
        not passages
        or passages[0].score < MIN_SCORE
        or index.matched_words(question, passages[0].article) < min(MIN_MATCHED_WORDS, len(set(tokens(question))))
    ):
        return PolicyAnswer(question=question, found=False, answer="", passages=tuple(passages[:0]))
    best = passages[0]
    clear = len(passages) == 1 or best.score >= passages[1].score * ANSWER_LEAD
    return PolicyAnswer(
        question=question,
        found=True,
        answer=best.article.answer if clear else "",
        passages=tuple(passages),
    )
