from django.core.management.base import BaseCommand

from safetynet.audit.services import data_key_rotate


class Command(BaseCommand):
    help = "数据加密密钥：rotate 生成新密钥并启用，把库中所有加密字段重新加密（旧密钥保留，记入审计）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rotate", help="轮换数据加密密钥并重新加密全部加密字段")

    def handle(self, *args, **options):
        event = data_key_rotate(actor=None)
        total = sum(event.data["resealed"].values())
        self.stdout.write(
            f"已启用新数据密钥 {event.data['new_key_id']}（原密钥 {event.data['old_key_id']} 保留），"
            f"重新加密 {total} 个值：{event.data['resealed']}"
        )
