import pytest

from safetynet.portal.errors import ErrorCode, InvalidQuestion
from safetynet.portal.policy.evaluation import evaluate, evaluation_questions
from safetynet.portal.policy.search import policy_answer, policy_index


def test_the_elderly_mans_question_is_answered_with_the_article_on_members_working_away():
    answer = policy_answer(question="我女儿在外地打工，我还能申请低保吗？")
    assert answer.found
    keys = [p.article.key for p in answer.passages]
    assert {"dibao_measures/第六条", "income_rules/第七条"} & set(keys)
    cited = answer.passages[0].citation
    assert cited.startswith("《") and "第" in cited and "起施行" in cited


def test_a_clear_match_gives_the_one_line_answer_the_article_states():
    answer = policy_answer(question="临时救助能给多少钱")
    assert answer.passages[0].article.key == "temporary_measures/第十一条"
    assert answer.answer == answer.passages[0].article.answer
    assert "6个月" in answer.answer


def test_a_question_the_documents_do_not_cover_says_so():
    answer = policy_answer(question="怎么办理护照")
    assert not answer.found and answer.passages == () and answer.answer == ""


@pytest.mark.parametrize("question", ["", "   ", "低" * 201])
def test_empty_or_overlong_questions_are_refused(question):
    with pytest.raises(InvalidQuestion) as e:
        policy_answer(question=question)
    assert e.value.code == ErrorCode.INVALID_QUESTION


def test_the_corpus_agrees_with_the_rules_parameters():
    # The figures the rules use appear in the article that their parameters cite.
    index = policy_index()
    assert "930元" in index.by_key["dibao_standard_2025/第一条"].text
    assert "730元" in index.by_key["dibao_standard_2025/第二条"].text
    assert "24倍" in index.by_key["asset_rules/第六条"].text
    assert "1.3倍" in index.by_key["tekun_measures/第五条"].text
    assert "60000元" in index.by_key["medical_measures/第十条"].text


def test_every_expected_article_of_the_evaluation_set_exists_and_there_are_at_least_60_questions():
    questions = evaluation_questions()
    assert len(questions) >= 60
    keys = policy_index().by_key
    for q in questions:
        if q["expect"] != "none":
            assert all(k in keys for k in q["expect"]), q


def test_top3_accuracy_on_the_whole_evaluation_set_is_at_least_90_percent():
    result = evaluate()["all"]
    assert result.top3_accuracy >= 0.90, result.misses
