from django.core.management.base import BaseCommand

from safetynet.sources.services import lake_pseudonymise


class Command(BaseCommand):
    help = "把湖中旧批次的身份证号改写为盲索引、姓名改写为带密钥散列（已改写的文件不动）；之后请重跑核对与监测"

    def handle(self, *args, **options):
        done = lake_pseudonymise()
        self.stdout.write(f"已改写 {sum(done.values())} 个批次文件：{done}" if done else "湖中没有需要改写的批次文件。")
