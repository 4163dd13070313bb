"""Pages of the chat alerts: the operations manager's robots and delivery log, a team member's
chat contact, and everyone's own choices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.models import ChatContact, ChatRobot, NotifyEvent, OutboxMessage, User
from accounts.permissions import ops_manager_required
from inquiryhub.forms import form_add_validation_error

from . import channels, outbox
from .forms import AlertChoicesForm, ChatContactForm, DeliveryFilterForm, RobotForm
from .selectors import delivery_log, failing_robots, robots_overview


@ops_manager_required
def robot_list(request):
    """The robots with their masked addresses, state and waiting/failed messages."""
    rows = [(robot, channels.robot_secret_shown(robot)) for robot in robots_overview()]
    return render(request, "accounts/chat/robots.html", {"rows": rows, "tab": "chat"})


@sensitive_post_parameters("webhook_url", "secret")
@ops_manager_required
def robot_create(request):
    form = RobotForm(request.POST or None, initial={"kind": ChatRobot.Kind.WECOM, "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            robot = channels.robot_save(robot=None, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Robot %(name)s saved. Send it a test message.") % {"name": robot.name})
            return redirect("accounts:robot_edit", pk=robot.pk)
    return render(request, "accounts/chat/robot_form.html", {"form": form, "robot": None, "tab": "chat"})


@sensitive_post_parameters("webhook_url", "secret")
@ops_manager_required
def robot_edit(request, pk: int):
    robot = get_object_or_404(ChatRobot, pk=pk)
    initial = {f: getattr(robot, f) for f in ("name", "kind", "is_default", "is_active")}
    form = RobotForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            channels.robot_save(robot=robot, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Robot %(name)s saved.") % {"name": form.cleaned_data["name"]})
            return redirect("accounts:robot_edit", pk=robot.pk)
    return render(
        request,
        "accounts/chat/robot_form.html",
        {"form": form, "robot": robot, "shown": channels.robot_secret_shown(robot), "tab": "chat"},
    )


@ops_manager_required
@require_POST
def robot_test(request, pk: int):
    """Send a test message now and show the robot's own answer."""
    robot = get_object_or_404(ChatRobot, pk=pk)
    answer = channels.robot_test(robot=robot)
    if answer.ok:
        messages.success(
            request, _("Sent: %(name)s answered “%(answer)s”.") % {"name": robot.name, "answer": answer.text}
        )
    else:
        messages.error(
            request, _("Not sent: %(name)s answered “%(answer)s”.") % {"name": robot.name, "answer": answer.text}
        )
    if request.POST.get("next") == "list":
        return redirect("accounts:robots")
    return redirect("accounts:robot_edit", pk=robot.pk)


@ops_manager_required
def deliveries(request):
    """The delivery log: sent, waiting and failed messages with the reason; failed ones resendable."""
    form = DeliveryFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(delivery_log(status=status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/chat/deliveries.html",
        {"form": form, "page": page, "failing": failing_robots(), "tab": "chat_log"},
    )


@ops_manager_required
@require_POST
def delivery_resend(request, pk: int):
    message = get_object_or_404(OutboxMessage.objects.select_related("robot", "recipient"), pk=pk)
    resent = outbox.outbox_resend(message=message, by=request.user)
    if resent.status == OutboxMessage.Status.PENDING:
        messages.success(request, _("The message is queued again."))
    else:
        messages.info(request, _("Only a failed or unconfirmed message can be sent again."))
    return redirect("accounts:deliveries")


@ops_manager_required
def member_chat(request, pk: int):
    """A team member's chat contact: their robot, WeCom user id and mobile."""
    member = get_object_or_404(User, pk=pk)
    contact = ChatContact.objects.filter(user=member).first()
    initial = (
        {"robot": contact.robot_id, "wecom_userid": contact.wecom_userid, "mobile": contact.mobile} if contact else {}
    )
    form = ChatContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        channels.chat_contact_update(user=member, by=request.user, **form.cleaned_data)
        messages.success(request, _("Chat alerts of %(name)s saved.") % {"name": member.label})
        return redirect("accounts:team")
    return render(request, "accounts/chat/member_chat.html", {"form": form, "member": member, "tab": "team"})


@login_required
def my_alerts(request):
    """What reaches me on the chat robots, and in which language."""
    contact = ChatContact.objects.filter(user=request.user).first()
    muted = set(contact.muted) if contact else set()
    initial = {
        "language": contact.language if contact else request.LANGUAGE_CODE,
        "wanted": [e for e in NotifyEvent.values if e not in muted and e != NotifyEvent.TEST],
    }
    form = AlertChoicesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        wanted = set(form.cleaned_data["wanted"])
        channels.chat_contact_update(
            user=request.user,
            by=request.user,
            language=form.cleaned_data["language"],
            muted=[e for e in NotifyEvent.values if e not in wanted and e != NotifyEvent.TEST],
        )
        messages.success(request, _("Your chat alerts are saved."))
        return redirect("accounts:my_alerts")
    return render(request, "accounts/chat/my_alerts.html", {"form": form, "contact": contact})
