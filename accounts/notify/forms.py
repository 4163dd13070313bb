"""Forms of the chat robot pages, a person's chat contact and their own alert choices."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import ChatRobot, NotifyEvent, OutboxMessage

# The credentials are typed, never rendered back, not even after an error.
SECRET_INPUT = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"})


class RobotForm(forms.Form):
    name = forms.CharField(label=_("Robot name"), max_length=100, help_text=_("e.g. 销售群 or 运营群."))
    kind = forms.ChoiceField(label=_("Kind"), choices=ChatRobot.Kind.choices, widget=forms.RadioSelect)
    webhook_url = forms.CharField(
        label=_("Webhook address"),
        max_length=500,
        required=False,
        widget=SECRET_INPUT,
        help_text=_(
            "WeCom: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…; "
            "DingTalk: https://oapi.dingtalk.com/robot/send?access_token=…"
        ),
    )
    secret = forms.CharField(
        label=_("Signing secret (DingTalk)"),
        max_length=200,
        required=False,
        widget=SECRET_INPUT,
        help_text=_("DingTalk's 加签 secret, starting with SEC. WeCom robots have none."),
    )
    is_default = forms.BooleanField(
        label=_("Default robot"), required=False, help_text=_("For people without a robot of their own.")
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["webhook_url"].help_text = _("Leave empty to keep the stored address.")
            self.fields["secret"].help_text = _("Leave empty to keep the stored secret.")


class ChatContactForm(forms.Form):
    robot = forms.ModelChoiceField(
        label=_("Chat robot"),
        queryset=ChatRobot.objects.filter(is_active=True),
        required=False,
        empty_label=_("The default robot"),
        help_text=_("The group this person's messages go to."),
    )
    wecom_userid = forms.RegexField(
        label=_("WeCom user id"),
        regex=r"^[A-Za-z0-9_.@-]{0,64}$",
        required=False,
        help_text=_("企业微信 账号 in the admin console; a WeCom message @-mentions it so that it rings."),
    )
    mobile = forms.RegexField(
        label=_("Mobile"),
        regex=r"^\+?[0-9 -]{0,20}$",
        required=False,
        help_text=_("For DingTalk mentions, and WeCom when no user id is set."),
    )


class AlertChoicesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the messages"), choices=settings.LANGUAGES)
    wanted = forms.MultipleChoiceField(
        label=_("Send me a chat message when"),
        choices=[c for c in NotifyEvent.choices if c[0] != NotifyEvent.TEST],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + list(OutboxMessage.Status.choices), required=False
    )
