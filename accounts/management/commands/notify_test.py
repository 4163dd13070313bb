"""`manage.py notify_test CHANNEL_NAME`: send a test message through a chat robot, print its answer."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import ChatRobot
from accounts.notify.channels import robot_test


class Command(BaseCommand):
    help = "Send a test message through the named chat robot and print the robot's answer."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The robot's name, as on the Chat robots page.")

    def handle(self, *args, name: str, **options):
        robot = ChatRobot.objects.filter(name=name).first()
        if robot is None:
            known = ", ".join(ChatRobot.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No chat robot named {name!r} (robots: {known}).")
        answer = robot_test(robot=robot)
        line = f"{robot.name} ({robot.get_kind_display()}): {answer.text}"
        if not answer.ok:
            raise CommandError(f"not sent: {line}")
        self.stdout.write(self.style.SUCCESS(f"sent: {line}"))
