import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.mailers import mailer_from_url

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_LIKE = {
    "DEBUG": "off",
    "SECRET_KEY": "a-real-looking-secret-key-0f3e9b7c2d1a8e6f5b4c3d2e1f0a9b8c7d6e5f4a",
    "ALLOWED_HOSTS": "shelfshare.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://shelfshare.example.com",
    "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.com:587",
    "SITE_URL": "https://shelfshare.example.com",
}


def manage(*args, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "config.settings"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="off", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_production_like_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_LIKE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_the_console_mailer():
    result = manage("check", "--deploy", **(PRODUCTION_LIKE | {"EMAIL_URL": "console://"}))
    assert result.returncode != 0
    assert "mail.E001" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        ("console://", "console.EmailBackend", {}),
        ("consolemail://", "console.EmailBackend", {}),
        (
            "file:///tmp/shelfshare-mail",
            "filebased.EmailBackend",
            {"file_path": "/tmp/shelfshare-mail"},
        ),
        (
            "smtp+tls://user%40x:p%23ss@mail.example.com:587",
            "smtp.EmailBackend",
            {
                "host": "mail.example.com",
                "port": 587,
                "username": "user@x",
                "password": "p#ss",
                "use_tls": True,
                "use_ssl": False,
            },
        ),
        (
            "smtps://mail.example.com",
            "smtp.EmailBackend",
            {"host": "mail.example.com", "port": 465, "use_tls": False, "use_ssl": True},
        ),
        (
            "smtp://127.0.0.1:1025?timeout=5",
            "smtp.EmailBackend",
            {"host": "127.0.0.1", "port": 1025, "use_tls": False, "use_ssl": False, "timeout": 5},
        ),
    ],
)
def test_email_url_maps_onto_mailers(url, backend, options):
    mailer = mailer_from_url(url)
    assert mailer["BACKEND"] == f"django.core.mail.backends.{backend}"
    assert mailer["OPTIONS"] == options


def test_an_unknown_email_scheme_is_refused():
    with pytest.raises(ValueError, match="EMAIL_URL scheme 'carrier-pigeon'"):
        mailer_from_url("carrier-pigeon://loft")


def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    response = client.get("/account/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.text


def test_the_embedded_default_shares_its_cache_between_the_web_server_and_the_worker(tmp_path):
    """Without Redis the web process and the worker are separate processes: what the worker
    writes to the cache (an import's progress) must be read by the page, so it is kept in
    files under VAR_DIR; with Redis it is Redis."""
    env = {"DEBUG": "on", "VAR_DIR": str(tmp_path), "REDIS_URL": ""}
    cache = "from django.core.cache import cache; "
    written = manage("shell", "-c", cache + "cache.set('progress', 41)", **env)
    assert written.returncode == 0, written.stderr
    read = manage("shell", "-c", cache + "print(cache.get('progress'))", **env)
    assert read.stdout.split()[-1] == "41", read.stderr
    assert (tmp_path / "cache").is_dir()
