"""Server-rendered pages of the auth layer: login, logout, kiosk error, audit log.

Plain HTML without any script, so they work under the strictest CSP and before the Dash
bundle has loaded. Every value is escaped.
"""

from __future__ import annotations

from html import escape

from dashboard.auth.store import ROLE_NAMES, ids_text

CSS = """
:root { color-scheme: dark; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  background: radial-gradient(ellipse at top, #0f2a4a 0%, #071426 70%); color: #dbe7f5;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  sans-serif; }
.card { width: 400px; padding: 36px 40px; background: rgba(10, 30, 56, 0.92);
  border: 1px solid #1f4d7a; border-radius: 10px; box-shadow: 0 0 40px rgba(0, 140, 255, .15); }
h1 { margin: 0 0 4px; font-size: 26px; letter-spacing: 4px; color: #e6f2ff; }
.sub { margin: 0 0 24px; color: #7fa6cc; font-size: 13px; letter-spacing: 1px; }
label { display: block; margin: 14px 0 6px; font-size: 14px; color: #a9c4e0; }
input[type=text], input[type=password] { width: 100%; padding: 10px 12px; font-size: 15px;
  color: #e6f2ff; background: #061224; border: 1px solid #2a5d8f; border-radius: 6px; }
input:focus { outline: 2px solid #3fa0ff; }
button { width: 100%; margin-top: 24px; padding: 11px; font-size: 16px; letter-spacing: 6px;
  color: #fff; background: #1766c2; border: 0; border-radius: 6px; cursor: pointer; }
button:hover { background: #1f7ae0; }
.error { margin: 16px 0 0; padding: 10px 12px; color: #ffd2d2; background: #4a1420;
  border: 1px solid #8a2a3a; border-radius: 6px; font-size: 14px; }
.hint { margin: 22px 0 0; color: #7fa6cc; font-size: 12px; line-height: 1.7; }
.foot { margin: 18px 0 0; color: #4f7398; font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 6px 10px; border-bottom: 1px solid #1f4d7a; text-align: left; }
.wide { width: auto; max-width: 95vw; overflow: auto; }
a { color: #7fc0ff; }
"""


def _page(title: str, body: str, wide: bool = False) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title>"
        "<link rel=\"icon\" href=\"/_favicon.ico\">"
        "<link rel=\"stylesheet\" href=\"/auth/static/auth.css\"></head><body>"
        f"<main class=\"card{' wide' if wide else ''}\">{body}</main></body></html>"
    )


def login_page(csrf: str, next_path: str, error: str = "", username: str = "",
               demo_users: list[str] | None = None) -> str:
    """The Chinese login form (``error`` shown above the hint)."""
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    hint = ""
    if demo_users:
        names = "、".join(escape(u) for u in demo_users[:4])
        hint = (f'<p class="hint">演示环境：已创建各级演示账户（如 {names} 等），'
                "账户与密码见 README“账户 / Accounts”一节。</p>")
    return _page("登录 · 网格指挥舱", f"""
<h1>网格指挥舱</h1>
<p class="sub">GridCommand · 基层社会治理指挥平台</p>
<form method="post" action="/login" autocomplete="on">
<input type="hidden" name="csrf_token" value="{escape(csrf)}">
<input type="hidden" name="next" value="{escape(next_path)}">
<label for="username">用户名</label>
<input id="username" name="username" type="text" value="{escape(username)}" required
 autocomplete="username" autofocus>
<label for="password">密码</label>
<input id="password" name="password" type="password" required autocomplete="current-password">
<button id="login-submit" type="submit">登录</button>
</form>{err}{hint}
<p class="foot">仅限授权人员使用 · 所有个人信息查看均记录审计日志</p>""")


def logout_page() -> str:
    return _page("退出登录 · 网格指挥舱", """
<h1>退出登录</h1>
<p class="sub">确认退出当前账户？</p>
<form method="post" action="/logout"><button id="logout-submit" type="submit">退出</button></form>
""")


def message_page(title: str, message: str) -> str:
    return _page(f"{title} · 网格指挥舱", f"""
<h1>{escape(title)}</h1><p class="error">{escape(message)}</p>
<p class="foot"><a href="/login">返回登录</a></p>""")


def audit_page(rows: list[dict], username_filter: str = "") -> str:
    """The admin's view of the audit log, newest first."""
    head = "".join(f"<th>{h}</th>" for h in
                   ("#", "时间 (UTC)", "用户", "角色", "辖区", "操作", "对象", "记录 id", "来源"))
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in (
            r["id"], r["at"], r["username"], ROLE_NAMES.get(r["role"], r["role"]), r["scope"],
            r["action"], r["what"], ids_text(r["ids"]), r["client"])) + "</tr>"
        for r in rows)
    shown = f"（用户 {escape(username_filter)}）" if username_filter else ""
    return _page("审计日志 · 网格指挥舱", f"""
<h1>审计日志</h1>
<p class="sub">个人信息查看与导出记录{shown} · 仅追加，不可修改 · 最近 {len(rows)} 条</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<p class="foot"><a href="/">返回总览</a></p>""", wide=True)
