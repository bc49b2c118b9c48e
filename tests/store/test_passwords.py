"""Users' passwords (issue 12): the policy, password changes, per-user session versions and the unknown-user check.

Store tests run on SQLite and, when a server answers (see test_store.py), on PostgreSQL.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from geoplan import cli, i18n
from geoplan.errors import InputError, NotFoundError
from geoplan.store import Store, service
from geoplan.store.passwords import MIN_LENGTH, check_password

PASSWORD = "secret-pass-1"


# --- the policy ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("12345678", "password_too_short"),
        ("password", "password_too_short"),
        ("aaaaaaaa", "password_too_short"),
        ("", "password_too_short"),
        ("西湖边的柳树", "password_too_short"),
        ("aaaaaaaaaaaa", "password_simple"),
        ("          ", "password_simple"),
        ("abcabcabcabc", "password_simple"),
        ("passwordpassword", "password_simple"),
        ("1234567890", "password_simple"),
        ("0987654321", "password_simple"),
        ("7890123456", "password_simple"),
        ("abcdefghijkl", "password_simple"),
        ("qwertyuiop", "password_simple"),
        ("QWERTYUIOP", "password_simple"),
        ("poiuytrewq", "password_simple"),
        ("1qaz2wsx3edc", "password_simple"),
        ("qwer1234asdf", "password_simple"),
        ("aaaa1111bbbb", "password_simple"),
        ("!@#$%^&*()", "password_simple"),
        ("13800138000", "password_simple"),  # a mobile number: only digits, fewer than 12
        ("1990-01-01", "password_simple"),
        ("1111122222", "password_simple"),
        ("123456789a", "password_common"),
        ("woaini1314", "password_common"),
        ("woaini1314520", "password_common"),
        ("iloveyou2024", "password_common"),
        ("Password123!", "password_common"),
        ("password1234", "password_common"),
        ("P@ssw0rd2024", "password_common"),
        ("zaq12wsxcde", "password_simple"),
        ("sunshine123", "password_common"),
        ("ABCabc123456", "password_simple"),
    ],
)
def test_weak_passwords_are_refused(password, code):
    with pytest.raises(InputError) as refused:
        check_password(password)
    assert refused.value.code == code
    for lang in ("zh", "en"):
        text = i18n.error_text(refused.value, lang)
        assert text != str(refused.value) or lang == "en", "the Chinese text comes from the catalog"
        assert "{" not in text


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        "long enough 1",
        "another password",
        "my tram leaves at dawn",
        "西湖边的三棵老柳树啊",
        "Tr0ub4dor&3x",
        "402918375561",  # twelve digits that are no sequence
        "mY dog eats 3 socks",
    ],
)
def test_good_passwords_pass(password):
    assert check_password(password) == password


def test_the_password_may_not_be_the_user_name():
    with pytest.raises(InputError) as refused:
        check_password("planner-alice", username="Planner-Alice")
    assert refused.value.code == "password_is_username"
    assert check_password("planner-alice", username="bob") == "planner-alice"


def test_messages_tell_a_planner_what_to_do():
    with pytest.raises(InputError) as refused:
        check_password("12345678")
    assert i18n.error_text(refused.value, "zh") == (
        f"密码太短：至少需要 {MIN_LENGTH} 个字符（现在是 8 个）。可以用几个词组成一句好记的话。"
    )
    assert "at least 10 characters (8 given)" in i18n.error_text(refused.value, "en")
    with pytest.raises(InputError) as refused:
        check_password("aaaaaaaaaaaa")
    assert "只由一个字符重复组成" in i18n.error_text(refused.value, "zh")
    assert "one character repeated" in i18n.error_text(refused.value, "en")
    with pytest.raises(InputError) as refused:
        check_password("woaini1314")
    assert "最常见的密码" in i18n.error_text(refused.value, "zh")


def test_a_long_password_is_checked_quickly():
    assert check_password("x7" + "ab cd " * 2000) is not None


# --- the store -----------------------------------------------------------------------------------------------------


def test_add_user_refuses_a_weak_password(store):
    with pytest.raises(InputError, match="one of the most common") as refused:
        store.add_user("alice", "woaini1314")
    assert refused.value.code == "password_common"
    assert store.users() == []


def test_set_password_changes_it_and_ends_the_sessions(store):
    user = store.add_user("alice", PASSWORD)
    version = store.session_version(user["id"])
    assert version == 0
    assert store.session_user(user["id"], version) == user
    assert store.set_password(" alice ", "a brand new secret") == user
    assert store.authenticate("alice", PASSWORD) is None
    assert store.authenticate("alice", "a brand new secret") == user
    assert store.session_user(user["id"], version) is None
    assert store.session_user(user["id"], store.session_version(user["id"])) == user


def test_set_password_refuses_weak_passwords_and_unknown_users(store):
    user = store.add_user("alice", PASSWORD)
    with pytest.raises(InputError) as refused:
        store.set_password("alice", "alice")
    assert refused.value.code == "password_too_short"
    with pytest.raises(InputError) as refused:
        store.set_password("alice", "abababababab")
    assert refused.value.code == "password_simple"
    with pytest.raises(NotFoundError, match="bob"):
        store.set_password("bob", "a brand new secret")
    assert store.authenticate("alice", PASSWORD) == user
    assert store.session_version(user["id"]) == 0


def test_ending_sessions_bumps_the_version_of_that_user_only(store):
    alice, bob = store.add_user("alice", PASSWORD), store.add_user("bob", PASSWORD)
    store.end_sessions(alice["id"])
    store.end_sessions(alice["id"])
    assert store.session_version(alice["id"]) == 2
    assert store.session_version(bob["id"]) == 0
    assert store.session_user(alice["id"], 0) is None
    assert store.session_user(alice["id"], 2) == alice
    assert store.session_user(bob["id"], 0) == bob
    assert store.session_version(alice["id"] + bob["id"] + 1) is None
    store.end_sessions(alice["id"] + bob["id"] + 1)  # a removed user: nothing to end


def test_the_migration_gives_existing_users_version_zero(tmp_path):
    from alembic import command
    from alembic.config import Config

    store = Store(f"sqlite:///{tmp_path / 'old.sqlite'}")
    config = Config()
    config.set_main_option("script_location", str(service._MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(sa.text("INSERT INTO users (username, password_hash, role, created_at) "
                                   "VALUES ('old', 'x', 'planner', '2026-01-01')"))  # fmt: skip
    store.upgrade()
    user = next(u for u in store.users() if u["username"] == "old")
    assert store.session_version(user["id"]) == 0
    store.engine.dispose()


def test_an_unknown_user_costs_one_hash_check_like_a_known_one(store, monkeypatch):
    store.add_user("alice", PASSWORD)
    checked = []

    def spy(stored_hash: str, password: str) -> bool:
        checked.append(stored_hash)
        return real(stored_hash, password)

    real = service.check_password_hash
    monkeypatch.setattr(service, "check_password_hash", spy)
    assert store.authenticate("alice", "wrong password") is None
    assert store.authenticate("nobody", "wrong password") is None
    assert store.authenticate("", "") is None
    assert store.authenticate("nobody", "") is None
    assert len(checked) == 4
    with store.engine.connect() as connection:
        real_hash = connection.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    method = real_hash.split("$")[0]
    assert [h.split("$")[0] for h in checked] == [method] * 4, "the dummy hash uses the same algorithm and cost"
    assert checked[1] != real_hash


# --- the command line ----------------------------------------------------------------------------------------------


def _cli(monkeypatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(list(argv))


def test_user_add_refuses_a_weak_password(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    status = _cli(monkeypatch, "user", "add", "carol", "--password-stdin", "--database", url, stdin="12345678\n")
    assert status == 2
    error = capsys.readouterr().err
    assert "密码太短：至少需要 10 个字符" in error
    status = _cli(monkeypatch, "user", "add", "carol", "--password-stdin", "--database", url, "--lang", "en",
                  stdin="12345678\n")  # fmt: skip
    assert status == 2
    assert "at least 10 characters" in capsys.readouterr().err
    store = Store(url)
    assert store.users() == []
    store.engine.dispose()


def test_user_password_changes_it_through_stdin(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert _cli(monkeypatch, "user", "add", "carol", "--password-stdin", "--database", url, stdin=PASSWORD) == 0
    assert _cli(monkeypatch, "user", "password", "carol", "--password-stdin", "--database", url,
                stdin="qwertyuiop\n") == 2  # fmt: skip
    assert "键盘" in capsys.readouterr().err
    assert _cli(monkeypatch, "user", "password", "carol", "--password-stdin", "--database", url,
                stdin="a brand new secret\n") == 0  # fmt: skip
    assert "carol" in capsys.readouterr().out
    assert _cli(monkeypatch, "user", "password", "dave", "--password-stdin", "--database", url,
                stdin="a brand new secret\n") == 2  # fmt: skip
    store = Store(url)
    assert store.authenticate("carol", "a brand new secret")["username"] == "carol"
    assert store.authenticate("carol", PASSWORD) is None
    store.engine.dispose()
