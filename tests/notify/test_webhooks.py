"""Digests posted to Slack and Teams incoming webhooks on a real local HTTP server: what each channel
receives, that it states the email's numbers and links, and the faults of a webhook."""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import traceback
from datetime import date

import pytest

from dashboard.analysis.verdict import verdict
from dashboard.core.config import Settings, Subscription, Webhook
from dashboard.core.store import Store
from dashboard.metrics import METRICS, SIGNALS, compute_series, load_tables
from dashboard.notify import chat, digest, mail, run, sent_log, webhook
from dashboard.notify.facts import Facts
from dashboard.notify.model import Digest, Link
from dashboard.notify.smtp import SendError
from dashboard.report.model import Section, Table
from tests.conftest import DEMO_TODAY, ROOT
from tests.notify.smtp_server import SmtpServer, free_port
from tests.notify.test_digest_email import BASE, mailer, settings_for
from tests.notify.webhook_server import SLACK_OK, TEAMS_OK, TOKEN, Answer, WebhookServer

TEAM = "core-platform-search"
CHANNELS = {"leadership": "slack", "payments": "teams", "search": "teams", "ops": "slack"}
SUBSCRIPTIONS = [
    {"channel": "slack", "webhook": "leadership", "role": "vp"},
    {"channel": "teams", "webhook": "payments", "role": "lead", "group": "Payments"},
    {"channel": "teams", "webhook": "search", "role": "lead", "team": TEAM, "cadence": "monthly"},
    {"channel": "slack", "webhook": "ops", "role": "ops"},
]


def env_name(name: str) -> str:
    return f"PRODOPS_TEST_HOOK_{name.upper()}"


def chat_settings(channels: dict[str, str], subscriptions: list[dict], **options) -> Settings:
    """Settings with a webhook per name (its URL in `$PRODOPS_TEST_HOOK_<NAME>`) and no mail server."""
    return Settings.model_validate({"digest": {
        "base_url": BASE,
        "webhooks": {name: {"kind": kind, "url_env": env_name(name), "max_retries": 2, **options.get(name, {})}
                     for name, kind in channels.items()},
        "subscriptions": subscriptions,
    }})


def answering(channels: dict[str, str], **scripts):
    """Each webhook answers as its service does, unless `scripts[name](attempt)` says otherwise."""
    def answer(name: str, attempt: int) -> Answer:
        scripted = scripts.get(name)
        found = scripted(attempt) if scripted else None
        return found or (SLACK_OK if channels[name] == "slack" else TEAMS_OK)
    return answer


def poster(waits: list[float]) -> run.Post:
    """`webhook.post` with its own policy, the waits recorded instead of slept."""
    def post(hook: Webhook, url: str, payload: dict, *, name: str) -> None:
        webhook.post(hook, url, payload, name=name, policy=webhook.policy_for(hook, sleep=waits.append))
    return post


def point_at(server: WebhookServer, channels: dict[str, str], monkeypatch) -> None:
    for name in channels:
        monkeypatch.setenv(env_name(name), server.url(name))


@pytest.fixture(scope="module")
def posted(databases, demo_db, tmp_path_factory):
    """Each role's digest of the demo organisation, posted once; (server, outcomes, store, settings, said)."""
    store = Store(databases.copy(demo_db, tmp_path_factory.mktemp("chat"), "chat_demo"))
    settings = chat_settings(CHANNELS, SUBSCRIPTIONS)
    said: list[str] = []
    with WebhookServer(answering(CHANNELS)) as server, pytest.MonkeyPatch.context() as monkeypatch:
        point_at(server, CHANNELS, monkeypatch)
        outcomes = run.run(store, settings, DEMO_TODAY, send=True, post=poster([]), say=said.append)
    return server, outcomes, store, settings, said


@pytest.fixture(scope="module")
def built(posted):
    """The same digests built again: what the email of each would say."""
    _, _, store, settings, _ = posted
    facts = Facts(store, settings, DEMO_TODAY)
    return {subscription.webhook: digest.build(subscription, facts) for subscription in settings.digest.subscriptions}


def slack_text(payload: dict) -> str:
    """Every text of a Slack message, as the reader sees it."""
    texts = [payload["text"]]
    for block in payload["blocks"]:
        texts += [block[key]["text"] for key in ("text",) if key in block]
        texts += [element["text"] for element in block.get("elements", []) if element.get("type") == "mrkdwn"]
    return html.unescape("\n".join(texts))


def slack_urls(payload: dict) -> list[str]:
    buttons = [block["accessory"] for block in payload["blocks"] if "accessory" in block]
    buttons += [element for block in payload["blocks"] if block["type"] == "actions" for element in block["elements"]]
    return [button["url"] for button in buttons]


def card(payload: dict) -> dict:
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def teams_text(payload: dict) -> str:
    return "\n".join(item["text"] for item in card(payload)["body"] if item["type"] == "TextBlock")


def teams_urls(payload: dict) -> list[str]:
    content = card(payload)
    actions = [a for item in content["body"] if item["type"] == "ActionSet" for a in item["actions"]] + content["actions"]
    assert all(action["type"] == "Action.OpenUrl" for action in actions)
    return [action["url"] for action in actions]


def text_of(name: str, payload: dict) -> str:
    return slack_text(payload) if CHANNELS[name] == "slack" else teams_text(payload)


def urls_of(name: str, payload: dict) -> list[str]:
    return slack_urls(payload) if CHANNELS[name] == "slack" else teams_urls(payload)


def email_rows(made) -> list[tuple[str, str]]:
    """Each table row of the digest's plain-text email as (name, figures): `- name: figures`."""
    rows = []
    for line in mail.text(made).splitlines():
        if line.startswith("- "):
            name, _, figures = line[2:].partition(": ")
            rows.append((name, figures))
    return rows


def test_each_webhook_gets_one_message_in_its_services_format(posted):
    server, outcomes, _, _, _ = posted
    assert [o.status for o in outcomes] == ["sent"] * 4
    assert [o.email for o in outcomes] == [f"{kind}:{name}" for name, kind in CHANNELS.items()]
    for name, kind in CHANNELS.items():
        (payload,) = server.taken(name)
        assert server.tries(name) == 1
        if kind == "slack":
            blocks = payload["blocks"]
            assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= chat.SLACK_HEADER
            assert len(blocks) <= chat.SLACK_BLOCKS
            assert all(len(b["text"]["text"]) <= chat.SLACK_TEXT for b in blocks if b["type"] == "section")
            assert not any(b["type"] == "image" for b in blocks)
        else:
            assert payload["type"] == "message"
            content = card(payload)
            assert content["type"] == "AdaptiveCard" and content["version"] == "1.4"
            assert not any(item["type"] == "Image" for item in content["body"])
            assert len(json.dumps(payload).encode()) < 28 * 1024


def test_every_row_the_email_shows_is_in_the_chat_message_word_for_word(posted, built):
    server, _, _, _, _ = posted
    for name, made in built.items():
        (payload,) = server.taken(name)
        text = text_of(name, payload)
        rows = email_rows(made)
        assert rows, name
        for row_name, figures in rows:
            shown = f"*{row_name}*: {figures}" if CHANNELS[name] == "slack" else f"**{row_name}**: {figures}"
            assert shown in text, (name, shown)
        assert made.subject in text
        assert not re.search(r"\b(None|nan|NaN|<NA>)\b", text), name
    search = teams_text(server.taken("search")[0])
    assert "Search: Hidden by privacy rules" in search, "a value the privacy rules hide stays hidden"


def test_the_verdicts_are_the_ones_the_metrics_give(posted):
    server, _, store, _, _ = posted
    tables, settings = load_tables(store), Settings()
    since = date(2024, 1, 1)
    for name, scope, scope_id in (("leadership", "org", "org"), ("payments", "group", "Payments")):
        text = text_of(name, server.taken(name)[0])
        monthly = compute_series(tables, settings, "month", scope, since, DEMO_TODAY)
        weekly = compute_series(tables, settings, "week", scope, since, DEMO_TODAY)
        for key, signal in SIGNALS.items():
            month, week = (f[(f["metric_id"] == signal.lead) & (f["scope_id"] == scope_id)] for f in (monthly, weekly))
            found = verdict(key, signal.question, METRICS[signal.lead], month, week, DEMO_TODAY)
            assert found.year.reason() in text, (name, key)


def test_links_reopen_the_same_views_as_the_emails(posted, built):
    server, _, _, _, _ = posted
    for name, made in built.items():
        urls = urls_of(name, server.taken(name)[0])
        rows = [r["url"] for section in made.sections for table in section.tables for r in table.records if r.get("url")]
        assert urls == [*rows, made.link.url], "each row's link in order, then the dashboard's"
        assert set(urls) <= set(re.findall(r"https://\S+", mail.text(made))), "the email's own links"
        assert all(url.startswith(BASE + "/") for url in urls)
    for name, params in (("leadership", "group=&team="), ("payments", "group=Payments&team="),
                         ("search", f"group=Core+Platform&team={TEAM}")):
        assert "/overview?" in built[name].link.url and params in built[name].link.url
    ops = slack_urls(server.taken("ops")[0])
    assert len(ops) > 2 and all("/bottlenecks?" in url and "focus=" in url for url in ops[:-1])


def test_the_sent_log_holds_each_message_and_a_second_run_posts_nothing(posted, monkeypatch):
    _, _, store, settings, said = posted
    logged = sent_log.log(store)
    assert sorted(logged["status"]) == ["sent"] * 4
    assert TOKEN not in logged.to_csv() + "\n".join(said)
    with WebhookServer() as again:
        point_at(again, CHANNELS, monkeypatch)
        outcomes = run.run(store, settings, DEMO_TODAY, send=True, post=poster([]), say=lambda _: None)
    assert [o.status for o in outcomes] == [run.SKIPPED] * 4 and again.posts == []


def test_a_digest_too_long_for_a_chat_message_drops_its_last_parts_and_says_so():
    rows = [[f"Metric {k}", "Team & Co <b>", f"{k}.0 d", "x" * (5000 if k == 0 else 10)] for k in range(300)]
    table = Table("Bottlenecks", ["Metric", "Where", "Value", "Note"], rows,
                  [{"url": f"{BASE}/bottlenecks?focus={k}"} if k % 2 else {} for k in range(300)])
    made = Digest(Subscription(channel="slack", webhook="alpha", role="ops"), date(2026, 11, 16), "week of 16 Nov 2026",
                  "Organisation", DEMO_TODAY, [Section("look_at", "What to look at", tables=[table])],
                  Link("Open Organisation in the dashboard", f"{BASE}/overview?"))
    slack = json.loads(json.dumps(chat.message(made, "slack")))
    blocks = slack["blocks"]
    assert len(blocks) <= chat.SLACK_BLOCKS and len(json.dumps(blocks, ensure_ascii=False).encode()) <= chat.SLACK_BYTES
    assert all(len(b["text"]["text"]) <= chat.SLACK_TEXT for b in blocks if b["type"] == "section")
    assert "left out" in blocks[-2]["elements"][0]["text"] and blocks[-1]["elements"][0]["url"] == made.link.url
    sections = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "Team &amp; Co &lt;b&gt;" in sections and "<b>" not in sections, "Slack's control characters escaped"
    teams = chat.message(made, "teams")
    assert len(json.dumps(teams).encode()) < 28 * 1024
    assert "left out" in card(teams)["body"][-1]["text"] and card(teams)["actions"][0]["url"] == made.link.url


# -- faults -----------------------------------------------------------------------------------------

FAULTY = {"alpha": "slack", "beta": "teams", "gamma": "slack"}
"""Product ops digests (no charts: a fault test costs no Chromium) to three webhooks."""


def ops_settings(**options) -> Settings:
    return chat_settings(FAULTY, [{"channel": kind, "webhook": name, "role": "ops"} for name, kind in FAULTY.items()],
                         **options)


def never_shown(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text and "/hooks/" not in text


def test_a_429_is_retried_after_its_retry_after_and_sent_once(demo_copy, monkeypatch, capfd):
    store, waits = Store(demo_copy), []
    script = {"alpha": lambda attempt: Answer(429, "rate_limited", {"Retry-After": "7"}) if attempt == 0 else None,
              "beta": lambda attempt: Answer(503, "", {"Retry-After": "3600"}) if attempt == 0 else None}
    with WebhookServer(answering(FAULTY, **script)) as server:
        point_at(server, FAULTY, monkeypatch)
        outcomes = run.run(store, ops_settings(), DEMO_TODAY, send=True, post=poster(waits), say=print)
    assert [o.status for o in outcomes] == ["sent"] * 3
    assert waits == [7.0, webhook.MAX_WAIT], "the service's Retry-After, capped"
    assert [server.tries(name) for name in FAULTY] == [2, 2, 1]
    assert [len(server.taken(name)) for name in FAULTY] == [1, 1, 1]
    never_shown(*capfd.readouterr())


def test_a_persistent_500_is_recorded_the_others_are_sent_and_the_next_run_sends_only_it(demo_copy, monkeypatch, capfd):
    store, waits, said = Store(demo_copy), [], []
    settings = ops_settings()
    failing = {"beta": lambda attempt: Answer(500, '{"error": {"code": "InternalServerError", "message": "x"}}')}
    with WebhookServer(answering(FAULTY, **failing)) as server:
        point_at(server, FAULTY, monkeypatch)
        first = run.run(store, settings, DEMO_TODAY, send=True, post=poster(waits), say=said.append)
    assert [o.status for o in first] == ["sent", "failed", "sent"] and run.exit_code(first) == 1
    assert first[1].detail == "teams webhook 'beta': HTTP 500 InternalServerError (after 2 retries)"
    assert waits == [1.0, 2.0] and server.tries("beta") == 3
    logged = sent_log.log(store).set_index("subscription")
    beta = settings.digest.subscriptions[1].id
    assert logged.loc[beta, "status"] == "failed" and "HTTP 500" in logged.loc[beta, "error"]
    with WebhookServer(answering(FAULTY)) as server:
        point_at(server, FAULTY, monkeypatch)
        again = run.run(store, settings, DEMO_TODAY, send=True, post=poster([]), say=said.append)
    assert [(o.email, o.status) for o in again] == [("slack:alpha", run.SKIPPED), ("slack:gamma", run.SKIPPED),
                                                    ("teams:beta", "sent")]
    assert [len(server.taken(name)) for name in FAULTY] == [0, 1, 0], "nothing sent twice"
    logged = sent_log.log(store).set_index("subscription")
    assert logged.loc[beta, "status"] == "sent" and logged.loc[beta, "attempts"] == 2
    never_shown("\n".join(said), logged.to_csv(), *capfd.readouterr())


def test_a_webhook_that_does_not_answer_in_time_fails_and_a_refusal_is_not_retried(demo_copy, monkeypatch, capfd):
    store, waits = Store(demo_copy), []
    script = {"alpha": lambda attempt: Answer(hang=10), "gamma": lambda attempt: Answer(404, "no_service")}
    settings = ops_settings(alpha={"timeout_seconds": 0.5, "max_retries": 1})
    with WebhookServer(answering(FAULTY, **script)) as server:
        point_at(server, FAULTY, monkeypatch)
        outcomes = run.run(store, settings, DEMO_TODAY, send=True, post=poster(waits), say=print)
    assert [o.status for o in outcomes] == ["failed", "sent", "failed"]
    assert outcomes[0].detail == "slack webhook 'alpha': no answer within 0.5 s (after 1 retries)"
    assert outcomes[2].detail == "slack webhook 'gamma': HTTP 404 no_service", "a 4xx fails at once"
    assert waits == [1.0] and server.tries("alpha") == 2 and server.tries("gamma") == 1
    never_shown(sent_log.log(store).to_csv(), *capfd.readouterr())


def test_a_missing_url_fails_that_message_naming_where_it_belongs(demo_copy, monkeypatch, tmp_path):
    store = Store(demo_copy)
    monkeypatch.chdir(tmp_path)
    with WebhookServer(answering(FAULTY)) as server:
        point_at(server, FAULTY, monkeypatch)
        monkeypatch.delenv(env_name("gamma"))
        outcomes = run.run(store, ops_settings(), DEMO_TODAY, send=True, post=poster([]), say=lambda _: None)
    assert [o.status for o in outcomes] == ["sent", "sent", "failed"]
    assert env_name("gamma") in outcomes[2].detail and "'gamma'" in outcomes[2].detail
    assert server.tries("gamma") == 0
    logged = sent_log.log(store).set_index("subscription")
    assert env_name("gamma") in logged.loc[ops_settings().digest.subscriptions[2].id, "error"]


def test_email_and_chat_digests_go_out_in_one_run(demo_copy, monkeypatch, tmp_path):
    store = Store(demo_copy)
    with SmtpServer(tmp_path) as smtp, WebhookServer(answering(FAULTY)) as server:
        settings = Settings.model_validate({"digest": {
            **chat_settings({"alpha": "slack"}, []).digest.model_dump(), "smtp": settings_for(smtp.port).digest.smtp.model_dump(),
            "subscriptions": [{"email": "ops@example.com", "role": "ops"}, {"channel": "slack", "webhook": "alpha", "role": "ops"}],
        }})
        point_at(server, {"alpha": "slack"}, monkeypatch)
        outcomes = run.run(store, settings, DEMO_TODAY, send=True, mailer=mailer(smtp, settings), post=poster([]),
                           say=lambda _: None)
    assert [o.status for o in outcomes] == ["sent", "sent"]
    assert [m["To"] for m in smtp.inbox.messages] == ["ops@example.com"] and len(server.taken("alpha")) == 1


@pytest.mark.parametrize("answer", [Answer(500, "boom"), Answer(hang=10), None], ids=["500", "timeout", "refused"])
def test_a_failed_post_names_the_webhook_never_its_url(answer, caplog):
    hook = Webhook(kind="slack", url_env="X_HOOK", timeout_seconds=0.3, max_retries=1)
    caplog.set_level("DEBUG")
    with WebhookServer(lambda name, attempt: answer) as server:
        url = server.url("alpha") if answer else f"http://127.0.0.1:{free_port()}/hooks/alpha/{TOKEN}"
        with pytest.raises(SendError) as raised:
            webhook.post(hook, url, {"text": "hi"}, name="alpha", policy=webhook.policy_for(hook, sleep=lambda _: None))
    assert str(raised.value).startswith("slack webhook 'alpha': ")
    never_shown(str(raised.value), repr(raised.value), "".join(traceback.format_exception(raised.value)), caplog.text)


def test_the_command_sends_chat_digests_without_a_mail_server(databases, demo_db, tmp_path):
    """As cron runs it: no [digest.smtp] is needed when no subscription is an email, and a missing URL
    fails the run (exit 1) naming its variable, never a URL."""
    config = tmp_path / "prodops.toml"
    config.write_text(f'[digest]\nbase_url = "{BASE}"\n[digest.webhooks.alpha]\nkind = "slack"\nurl_env = "{env_name("alpha")}"\n'
                      '[[digest.subscriptions]]\nchannel = "slack"\nwebhook = "alpha"\nrole = "ops"\n')
    env = {**os.environ, "PRODOPS_DB": databases.copy(demo_db, tmp_path, "chat_cli"), "PRODOPS_CONFIG": str(config),
           "PRODOPS_TODAY": DEMO_TODAY.isoformat()}
    env.pop(env_name("alpha"), None)

    def digest_command(environment: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dashboard", "digest", "--send"], cwd=tmp_path,
                              env={**environment, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600)

    with WebhookServer(answering({"alpha": "slack"})) as server:
        missing = digest_command(env)
        sent = digest_command({**env, env_name("alpha"): server.url("alpha")})
    assert missing.returncode == 1 and env_name("alpha") in missing.stderr, missing.stderr
    assert sent.returncode == 0, sent.stderr
    assert len(server.taken("alpha")) == 1
    never_shown(missing.stdout + missing.stderr, sent.stdout + sent.stderr)
