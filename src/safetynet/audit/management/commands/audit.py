from django.core.management.base import BaseCommand, CommandError

from safetynet.audit.services import audit_checkpoint, audit_key_rotate, audit_verify


class Command(BaseCommand):
    help = (
        "审计日志：verify 校验 HMAC 链并与最近的检查点核对，发现断点时以非零状态退出并指出第一条被篡改的记录；"
        "checkpoint 立即导出签名检查点；rotate-key 轮换签名密钥"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="校验审计链与检查点")
        sub.add_parser("checkpoint", help="把链头写成签名检查点（库外、只写一次）")
        sub.add_parser("rotate-key", help="生成新的签名密钥并启用（旧密钥保留用于校验）")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "checkpoint":
            cp = audit_checkpoint()
            if cp is None:
                self.stdout.write("审计日志为空，无需检查点。")
            else:
                self.stdout.write(f"检查点：第 {cp.seq} 条，{cp.path}")
            return
        if action == "rotate-key":
            event = audit_key_rotate(actor=None)
            self.stdout.write(
                f"已启用新密钥 {event.data['new_key_id']}（原密钥 {event.data['old_key_id']} 保留用于校验）。"
            )
            return
        result = audit_verify()
        if not result.ok:
            brk = result.first_break
            raise CommandError(
                f"审计链断裂：第 {brk.seq} 条记录无效（{brk.reason}）；此前 {result.checked} 条完好。"
                f" audit chain broken at entry {brk.seq}: {brk.reason}"
            )
        anchor = (
            f"，与检查点 {result.checkpoint.path.name}（第 {result.checkpoint.seq} 条）一致"
            if result.checkpoint
            else "（尚无检查点）"
        )
        self.stdout.write(f"审计链完好：共 {result.checked} 条{anchor}。audit chain OK: {result.checked} entries")
