from livekit_auth_tools.demo_data import DEMO


def test_demo_user_logs_in(log_in):
    answer = log_in(DEMO.username)
    assert answer.status == 200, answer.body
    assert answer.body["success"] is True
