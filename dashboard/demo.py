"""Deterministic demo data: a whole county's (or city's, or province's) budget-performance lifecycle, generated and loaded in one transaction.

The generator works year by year so that what happens in one year shows in the next: a project
graded 中 has its budget cut the following year, one graded 差 disappears, and recurring projects
keep their code. Everything is drawn from one `numpy.random.default_rng(seed)` in a fixed order,
so the same seed gives identical table contents. Rows are built as numpy column arrays and
inserted with explicit ids (children reference parents without round trips).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Date, delete, insert, text
from sqlalchemy.orm import Session

from dashboard import db
from dashboard.models import (
    ChangeLog,
    Department,
    Evaluation,
    Finding,
    ImportBatch,
    MonitoringRecord,
    Project,
    Unit,
    finding_key,
)

YEARS = (2022, 2023, 2024)
# Findings are aged against this day: the demo's "today" (mid-2025, after the 2024 evaluations).
DEMO_TODAY = dt.date(2025, 6, 30)
CHUNK = 20_000


@dataclass(frozen=True)
class Scale:
    regions: tuple[tuple[str, str], ...]  # (county-level name, 6-digit division code)
    departments_per_region: int  # 部门 kind
    towns_per_region: int
    parks_per_region: int
    units: int
    projects: int  # per year
    checkpoints: tuple[tuple[int, int], ...]  # (month, day) of monitoring as-of dates


SCALES = {
    "county": Scale((("青山区", "341502"),), 48, 10, 2, 200, 1200, ((6, 30), (8, 31))),
    "city": Scale(
        (("青山区", "341502"), ("东湖区", "341503"), ("西岭县", "341522"), ("南屏县", "341523"), ("北川县", "341524")),
        48, 10, 2, 1500, 6000, ((6, 30), (8, 31)),
    ),
    "province": Scale(
        (("青山区", "341502"), ("东湖区", "341503"), ("西岭县", "341522")),
        40, 8, 2, 3000, 100_000, ((4, 30), (6, 30), (8, 31), (10, 31)),
    ),
}

# ---------------------------------------------------------------------------------------------
# Vocabulary. Project templates: "name|r" recurs year after year, "name|o" is a one-off (工程 etc.);
# "{y}" becomes the budget year, as in real project lists.

_SECTOR_TEMPLATES = {
    "教育": """{y}年义务教育阶段学生营养改善计划|r;义务教育学校公用经费保障|r;学前教育发展专项资金|r;家庭经济困难学生资助|r;
        中小学校舍维修改造工程|o;农村义务教育学校教师周转宿舍建设|o;智慧校园建设项目|o;普通高中教育发展补助|r;
        中等职业教育免学费补助|r;中小学教师培训经费|r;中小学校课后服务经费|r;校园安全防范设施建设|o;学校食堂改造提升工程|o""",
    "卫生健康": """基本公共卫生服务项目|r;家庭医生签约服务经费|r;重大传染病防控经费|r;乡镇卫生院标准化建设|o;
        人民医院综合楼建设工程|o;计划生育家庭奖励扶助资金|r;医疗设备购置项目|o;妇幼健康服务项目|r;村医补助经费|r;
        {y}年公立医院综合改革补助|r;突发公共卫生事件应急物资储备|o""",
    "财政": """预算绩效管理第三方服务经费|r;财政信息化运维经费|r;政府采购监管经费|r;预算管理一体化系统建设|o;
        行政事业单位国有资产清查|o;财政投资评审经费|r""",
    "公安": """天网工程运维经费|r;看守所运行保障经费|r;道路交通管理设施建设|o;警用装备购置|o;反电信网络诈骗专项经费|r;
        社会治安防控体系建设|o""",
    "民政": """城乡居民最低生活保障资金|r;特困人员救助供养资金|r;高龄津贴|r;困难残疾人生活补贴和重度残疾人护理补贴|r;
        养老服务体系建设|o;社区居家养老服务中心建设|o;临时救助资金|r;孤儿基本生活保障资金|r""",
    "人社": """城乡居民基本养老保险财政补助|r;就业创业补助资金|r;职业技能提升行动|r;公益性岗位补贴|r;
        劳动保障监察经费|r;{y}年高校毕业生就业见习补贴|r""",
    "自然资源": """国土空间总体规划编制|o;耕地保护补偿资金|r;不动产登记信息化建设|o;地质灾害防治|r;
        土地储备项目|o;全民所有自然资源资产清查|o""",
    "住建": """老旧小区改造项目|o;保障性安居工程|o;城镇污水管网建设|o;农村危房改造|r;建筑市场监管经费|r;
        市政道路提升改造工程|o;城市燃气管道老化更新改造|o""",
    "交通": """农村公路养护工程|r;农村公路提质改造工程|o;城乡公交运营补贴|r;桥梁安全隐患整治|o;
        国省干线公路大中修工程|o;{y}年交通运输综合执法经费|r""",
    "水利": """水利工程运行维护|r;中小河流治理工程|o;农村饮水安全巩固提升工程|o;小型水库除险加固|o;
        河长制工作经费|r;水土保持综合治理|o;山洪灾害防治非工程措施运行维护|r""",
    "农业农村": """高标准农田建设|o;耕地地力保护补贴|r;农业产业化发展资金|r;农村人居环境整治|r;动物防疫补助经费|r;
        农机购置补贴|r;{y}年乡村振兴衔接资金项目|r;农村厕所革命整村推进|o;农作物重大病虫害防控|r""",
    "文旅": """公共文化服务体系建设|r;文物保护修缮工程|o;全域旅游宣传推广|r;农家书屋更新补助|r;送戏下乡惠民演出|r;
        图书馆文化馆免费开放补助|r""",
    "市场监管": """食品安全抽检经费|r;特种设备安全监管|r;计量检定设备购置|o;知识产权专项资金|r;消费者权益保护经费|r""",
    "生态环境": """大气污染防治专项资金|r;水污染防治项目|o;生态环境监测能力建设|o;农村环境综合整治|o;土壤污染防治|r""",
    "发改": """重点项目前期工作经费|r;地方储备粮费用补贴|r;价格监测经费|r;以工代赈项目|o""",
    "工信": """工业发展专项资金|r;中小企业发展专项资金|r;数字经济发展扶持资金|r""",
    "科技": """科技创新奖补资金|r;高新技术企业培育|r;科技特派员工作经费|r""",
    "司法": """法律援助经费|r;人民调解经费|r;社区矫正经费|r;{y}年普法宣传经费|r""",
    "应急": """应急物资储备|r;安全生产专项整治|r;森林防火专项经费|r;应急指挥平台建设|o""",
    "退役军人": """优抚对象抚恤补助|r;退役士兵安置经费|r;烈士纪念设施维护|r""",
    "林业": """林业有害生物防治|r;生态公益林补偿|r;国土绿化工程|o;森林资源管护|r""",
    "城管": """城市生活垃圾清运处理|r;城区环卫保洁服务|r;城市照明设施维护|r;公园绿地养护|r;城区内涝治理工程|o""",
    "医保": """城乡居民医疗保险财政补助|r;医疗救助资金|r;医保基金监管经费|r""",
    "体育": """全民健身工程|o;体育赛事活动经费|r;体育场馆免费低收费开放补助|r""",
    "商务": """外贸稳增长专项资金|r;电子商务进农村综合示范|o;{y}年促消费活动经费|r""",
    "数据": """政务云服务经费|r;政务数据共享平台建设|o;12345政务服务便民热线运行经费|r""",
    "乡镇": """村级组织运转经费|r;村（社区）干部报酬补助|r;美丽乡村建设|o;集镇环境综合整治|o;{y}年乡村振兴衔接资金项目|r;
        社区综合服务设施建设|o;防汛抗旱经费|r;网格化管理经费|r;农村人居环境整治|r;农村道路硬化工程|o;
        小型农田水利设施维修|o;村级公益事业一事一议财政奖补|r;农村垃圾清运|r;集镇污水处理设施运维|r;
        综合文化站免费开放补助|r;退役军人服务站运行经费|r;民兵训练经费|r""",
    "园区": """园区基础设施建设|o;标准化厂房建设项目|o;招商引资专项经费|r;企业发展扶持资金|r;园区污水处理厂建设|o""",
}
_GENERIC_TEMPLATES = """信息化建设运维经费|r;办公用房维修改造|o;业务培训经费|r;专项业务工作经费|r;政府购买服务经费|r;
    宣传工作经费|r;档案管理经费|r;安全生产工作经费|r;业务用车运行维护|r;课题研究经费|r;第三方评估经费|r;
    法律顾问服务经费|r;网络安全等级保护测评|r;办公设备更新购置|o;督查考核工作经费|r;志愿服务活动经费|r;
    标准化建设经费|o;数据统计分析经费|r"""
_N_GENERIC = _GENERIC_TEMPLATES.count("|")

# 主管部门 of one county-level region: (name after the region name, 所属领域 sector, template set,
# 二级单位 names, relative size). "{r}" is the region name where it is not a plain prefix.
_DEPARTMENTS = [
    ("教育局", "教育", "教育", "第一中学,第二中学,实验中学,实验小学,第一小学,第二小学,中心幼儿园,职业教育中心,教师发展中心,特殊教育学校,第三中学,第三小学", 6),
    ("卫生健康委员会", "卫生健康", "卫生健康", "人民医院,中医医院,疾病预防控制中心,妇幼保健计划生育服务中心,第一社区卫生服务中心,第二社区卫生服务中心,卫生健康综合监督执法大队,急救中心", 5),
    ("财政局", "一般公共服务", "财政", "国库支付中心,绩效评价中心,财政投资评审中心", 2),
    ("公安分局", "公共安全", "公安", "交通警察大队,看守所,拘留所", 2.5),
    ("民政局", "社会保障和就业", "民政", "社会福利院,救助管理站,殡仪馆,养老服务指导中心", 2.5),
    ("人力资源和社会保障局", "社会保障和就业", "人社", "就业服务中心,社会保险事业管理中心,劳动人事争议仲裁院", 2.5),
    ("自然资源和规划局", "自然资源海洋气象等", "自然资源", "不动产登记中心,土地储备中心,自然资源执法监察大队", 2),
    ("住房和城乡建设局", "城乡社区", "住建", "住房保障服务中心,建设工程质量安全监督站,市政设施维护中心", 3),
    ("交通运输局", "交通运输", "交通", "公路管理段,交通运输综合行政执法大队,农村公路管理站", 3),
    ("水利局", "农林水", "水利", "水利工程管理站,水土保持站,防汛抗旱服务中心", 3),
    ("农业农村局", "农林水", "农业农村", "农业技术推广中心,畜牧兽医服务中心,农村经济经营管理站,农业综合行政执法大队", 4),
    ("文化和旅游局", "文化旅游体育与传媒", "文旅", "图书馆,文化馆,文物管理所,博物馆", 2),
    ("市场监督管理局", "一般公共服务", "市场监管", "质量技术检验检测中心,市场监管综合行政执法大队", 1.5),
    ("生态环境分局", "节能环保", "生态环境", "环境监测站,生态环境保护综合行政执法大队", 1.5),
    ("发展和改革委员会", "一般公共服务", "发改", "重点项目建设服务中心,粮食和物资储备中心", 1.5),
    ("经济和信息化局", "资源勘探工业信息等", "工信", "中小企业服务中心", 1.2),
    ("科学技术局", "科学技术", "科技", "科技创新服务中心", 1),
    ("司法局", "公共安全", "司法", "公证处,法律援助中心", 1),
    ("应急管理局", "灾害防治及应急管理", "应急", "应急救援保障中心", 1.2),
    ("退役军人事务局", "社会保障和就业", "退役军人", "退役军人服务中心,光荣院", 1),
    ("林业局", "农林水", "林业", "林业技术推广站,国有林场", 1.2),
    ("城市管理局", "城乡社区", "城管", "环境卫生管理所,园林绿化管理所,城市管理综合行政执法大队", 2.5),
    ("医疗保障局", "卫生健康", "医保", "医疗保障服务中心", 1.5),
    ("体育局", "文化旅游体育与传媒", "体育", "体育运动学校,全民健身中心", 0.8),
    ("商务局", "商业服务业等", "商务", "商务服务中心", 0.8),
    ("数据资源管理局", "一般公共服务", "数据", "大数据中心", 0.8),
    ("政务服务管理局", "一般公共服务", "数据", "政务服务中心", 0.8),
    ("统计局", "一般公共服务", "经济普查经费|o;统计调查经费|r;统计信息化建设|o", "统计调查队", 0.5),
    ("审计局", "一般公共服务", "政府投资审计经费|r;审计信息化建设|o;聘请中介机构审计经费|r", "审计服务中心", 0.5),
    ("信访局", "一般公共服务", "信访积案化解经费|r;信访信息系统运维|r", "", 0.4),
    ("机关事务管理局", "一般公共服务", "公务用车平台运行维护|r;机关办公区物业管理|r;公共机构节能改造|o", "公务用车服务中心", 0.6),
    ("档案馆", "一般公共服务", "档案数字化加工项目|o;档案库房改造|o;档案征集经费|r", "", 0.4),
    ("人民法院", "公共安全", "审判业务经费|r;执行专项经费|r;人民法庭标准化建设|o;智慧法院建设|o", "", 0.8),
    ("人民检察院", "公共安全", "检察业务经费|r;办案专项经费|r;智慧检务建设|o", "", 0.6),
    ("{r}人民政府办公室", "一般公共服务", "政务公开工作经费|r;应急值守经费|r;地方志编纂经费|r", "金融服务中心", 0.8),
    ("{r}人大常委会办公室", "一般公共服务", "人大代表履职经费|r;人大代表之家建设|o;预算联网监督系统运维|r", "", 0.5),
    ("政协{r}委员会办公室", "一般公共服务", "政协委员履职经费|r;文史资料编纂|o", "", 0.4),
    ("中共{r}委组织部", "一般公共服务", "党员教育培训经费|r;基层党组织建设经费|r;人才引进专项资金|r", "党员教育中心", 0.6),
    ("中共{r}委宣传部", "一般公共服务", "新时代文明实践中心建设|o;精神文明创建经费|r;融媒体中心设备更新|o", "融媒体中心,新时代文明实践中心", 0.8),
    ("中共{r}委统一战线工作部", "一般公共服务", "统一战线工作经费|r;民族宗教工作经费|r", "", 0.4),
    ("中共{r}委政法委员会", "公共安全", "平安建设经费|r;社会治安综合治理中心建设|o;见义勇为奖励资金|r", "社会治安综合治理中心", 0.5),
    ("中共{r}纪律检查委员会", "一般公共服务", "纪检监察专项工作经费|r;廉政教育基地建设|o", "", 0.5),
    ("总工会", "一般公共服务", "困难职工帮扶资金|r;职工技能竞赛经费|r", "职工服务中心", 0.4),
    ("妇女联合会", "一般公共服务", "妇女儿童维权经费|r;农村妇女两癌筛查救助|r", "", 0.3),
    ("残疾人联合会", "社会保障和就业", "民政", "残疾人康复中心", 0.6),
    ("红十字会", "卫生健康", "应急救护培训经费|r;人道救助资金|r", "", 0.3),
    ("供销合作社联合社", "商业服务业等", "商务", "", 0.4),
    ("住房公积金管理中心", "住房保障", "住建", "", 0.4),
]
_TOWNS = ["城关", "柳林", "石桥", "双河", "白沙", "桃园", "梅山", "龙潭", "新集", "马店", "三河", "孙岗", "椿树", "东桥", "张店", "木厂"]
_STREETS = ["东城", "西城", "南湖", "北关", "中市", "清水"]
_TOWN_UNITS = "农业综合服务中心,便民服务中心,社会事务服务中心"
_STREET_UNITS = "社区服务中心,综合行政执法队"
_PARKS = ("经济开发区管委会", "高新技术产业园区管委会")
_PARK_UNITS = "建设发展中心,招商服务中心"
_POLICIES = ("耕地地力保护补贴政策", "城乡居民最低生活保障政策", "就业创业扶持政策", "农村人居环境整治奖补政策",
             "学前教育资助政策", "高龄津贴发放政策", "科技创新奖补政策", "工业发展扶持政策", "农机购置补贴政策")
_POLICY_SECTOR = ("农业农村", "民政", "人社", "农业农村", "教育", "民政", "科技", "工信", "农业农村")

_FIRMS = ("安徽正信会计师事务所有限公司", "安徽华审会计师事务所（普通合伙）", "安徽明德项目管理咨询有限公司",
          "合肥诚信财务咨询有限公司", "安徽中衡工程咨询有限公司", "安徽永诚会计师事务所有限公司",
          "北京中和绩效管理咨询有限公司安徽分公司", "安徽天元资产评估有限责任公司")

_DEVIATION_REASONS = ("资金未及时拨付", "项目前期手续未完成", "政府采购流程延迟", "工程进度滞后",
                      "项目实施方案调整", "资金按进度结算，尚未达到付款节点", "受天气影响施工暂停", "上级资金下达较晚")
_MONITOR_REQUIREMENTS = ("加快资金支付进度，确保年底前完成预算执行", "尽快完成前期手续，倒排工期推进项目实施",
                         "加快政府采购进度，及时签订合同", "对无法执行的资金及时调整预算，收回统筹使用")

# (description, requirement, measure) triples; the description is what a finding is known by.
_FINDINGS_MONITORING = (
    ("资金支付进度滞后，执行率低于序时进度", "加快资金支付进度，按序时进度完成预算执行", "已制定支付计划，按月调度资金支付"),
    ("项目前期手续未完成，项目推进缓慢", "尽快办理前期手续，倒排工期加快实施", "已完成立项及招标手续，项目已开工"),
    ("绩效目标完成进度滞后", "对照绩效目标逐项落实，确保年度目标完成", "已逐项分解目标任务，明确责任人和时间节点"),
    ("政府采购流程延迟，资金未及时支付", "加快采购进度，及时签订合同并支付", "已完成采购并签订合同"),
    ("绩效监控表填报不完整，偏差原因分析不充分", "规范填报监控表，如实分析偏差原因", "已重新填报并补充偏差原因分析"),
)
_FINDINGS_EVALUATION = (
    ("绩效目标设置不够细化量化", "按照可衡量、可考核要求修订绩效指标", "已修订绩效目标，细化量化产出和效益指标"),
    ("项目验收资料不完整", "补齐验收资料，规范项目验收程序", "已补充完善验收资料并组织复验"),
    ("资金使用不规范，存在超范围列支", "严格按照资金管理办法使用资金，调整超范围列支", "已调账并退回超范围列支资金"),
    ("项目管理制度不健全", "建立健全项目管理制度", "已印发项目管理办法"),
    ("绩效指标与项目内容关联度不高", "围绕项目内容重新设置绩效指标", "已重新设置绩效指标"),
    ("未开展服务对象满意度调查", "开展满意度调查，收集服务对象意见", "已完成满意度问卷调查"),
    ("资产管理不规范，部分设备闲置", "建立资产台账，盘活闲置资产", "已建立资产台账，闲置设备已调剂使用"),
    ("项目档案管理不规范", "规范项目档案归集和管理", "已按要求整理归档"),
    ("预算编制不够精准，预算调整频繁", "提高预算编制精准度，严格控制预算调整", "已完善预算编制测算依据"),
    ("配套资金未及时到位", "落实配套资金，确保项目按期实施", "配套资金已全部到位"),
    ("项目效益不明显，可持续影响不足", "完善长效管护机制，提升项目效益", "已建立长效管护机制"),
    ("结余资金未及时清理", "及时清理结余资金，按规定收回统筹", "结余资金已收回财政统筹"),
)
_FINDINGS_RECHECK = (
    ("自评结果偏高，自评得分与实际完成情况不符", "客观公正开展自评，如实反映绩效", "已重新开展自评并修正得分"),
    ("自评佐证材料不充分", "补充完善自评佐证材料", "已补充佐证材料"),
    ("绩效指标完成值填报不准确", "核实指标完成值，准确填报", "已核实更正指标完成值"),
    ("自评报告内容简单，问题分析不深入", "完善自评报告，深入分析问题原因", "已修改完善自评报告"),
)
_FINDINGS_AUDIT = (
    ("未按规定履行政府采购程序", "严格执行政府采购制度", "已完善采购内控制度，相关人员已约谈"),
    ("专项资金闲置未使用", "盘活闲置资金，加快资金使用", "闲置资金已统筹使用"),
    ("工程结算审核不严，多计工程款", "核减多计工程款，加强结算审核", "已核减并收回多计工程款"),
    ("往来款项长期挂账未清理", "清理长期挂账往来款项", "已完成往来款项清理"),
)
_FINDINGS_CONGRESS = (
    ("项目群众满意度不高", "改进服务方式，提高群众满意度", "已召开座谈会听取群众意见并整改"),
    ("绩效评价结果应用不充分", "强化评价结果与预算安排挂钩", "已将评价结果纳入下年度预算安排"),
    ("项目建成后管护机制不健全", "建立建后管护机制，明确管护责任", "已明确管护主体和经费来源"),
)
_DEPT_FINDINGS = (
    ("部门整体支出绩效目标设置不够细化量化", "按职能职责细化部门整体绩效目标", "已修订部门整体支出绩效目标"),
    ("部门预算执行进度滞后", "加快部门预算执行", "已建立预算执行进度通报机制"),
    ("部门内部控制制度不健全", "完善内部控制制度", "已修订内部控制手册"),
    ("部门绩效管理工作机制不健全", "建立部门绩效管理工作机制", "已明确绩效管理责任科室和人员"),
    ("二级单位绩效自评覆盖不全", "督促二级单位全面开展绩效自评", "已组织全部二级单位完成自评"),
    ("部门决算与预算差异较大", "提高预算编制准确性", "已完善预算编制测算"),
)
_SELF_PROBLEMS = ("部分绩效指标未完全完成", "资金支付进度偏慢", "满意度指标佐证不足", "项目实施进度滞后于计划")

_CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1..99 in Chinese numerals, for 第二中学 and （三期）."""
    if n < 10:
        return _CN_DIGITS[n]
    if n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _templates(spec: str) -> list[tuple[str, bool]]:
    out = []
    for item in spec.replace("\n", "").split(";"):
        item = item.strip()
        if item:
            name, kind = item.split("|")
            out.append((name, kind == "r"))
    return out


# ---------------------------------------------------------------------------------------------
# Organisation: departments and units


@dataclass
class _Org:
    dept_code: list[str]
    dept_name: list[str]
    dept_kind: list[str]
    dept_sector: list[str]
    dept_templates: list[list[tuple[str, bool]]]
    dept_tkey: list[str]  # template set: a sector key of _SECTOR_TEMPLATES, or the department's own list
    dept_weight: np.ndarray
    dept_region: list[int]
    unit_dept: np.ndarray  # department index (0-based) of each unit
    unit_code: list[str]
    unit_name: list[str]
    unit_kind: list[str]
    unit_sector: list[str]


def _build_org(scale: Scale) -> _Org:
    generic = _templates(_GENERIC_TEMPLATES)
    d_code, d_name, d_kind, d_sector, d_tpl, d_weight, d_region, d_subs = [], [], [], [], [], [], [], []
    d_tkey: list[str] = []
    for r_i, (region, rcode) in enumerate(scale.regions):
        short = region[:-1]  # 青山区 → 青山, for 青山经济开发区管委会
        entries = []
        for name, sector, tkey, subs, weight in _DEPARTMENTS[: scale.departments_per_region]:
            full = name.replace("{r}", region) if "{r}" in name else region + name
            # schools and hospitals are named after the region, other 二级单位 after their department
            stem = region if tkey in ("教育", "卫生健康") else full
            entries.append((full, "部门", sector, tkey, [stem + s for s in subs.split(",") if s], weight))
        n_streets = min(len(_STREETS), max(1, scale.towns_per_region // 4))
        for town in _TOWNS[: scale.towns_per_region - n_streets]:
            full = f"{region}{town}镇人民政府"
            entries.append((full, "乡镇街道", "城乡社区", "乡镇",
                            [f"{region}{town}镇{s}" for s in _TOWN_UNITS.split(",")], 2.2))
        for street in _STREETS[:n_streets]:
            full = f"{region}{street}街道办事处"
            entries.append((full, "乡镇街道", "城乡社区", "乡镇",
                            [f"{region}{street}街道{s}" for s in _STREET_UNITS.split(",")], 1.5))
        for park in _PARKS[: scale.parks_per_region]:
            full = short + park
            entries.append((full, "园区", "城乡社区", "园区",
                            [full.removesuffix("管委会") + s for s in _PARK_UNITS.split(",")], 2.5))
        for j, (full, kind, sector, tkey, subs, weight) in enumerate(entries, start=1):
            d_code.append(f"{rcode}{j:03d}")
            d_name.append(full)
            d_kind.append(kind)
            d_sector.append(sector)
            d_tpl.append(_templates(_SECTOR_TEMPLATES.get(tkey, tkey)) + generic)
            d_tkey.append(tkey)
            d_weight.append(weight)
            d_region.append(r_i)
            d_subs.append(subs)
    weights = np.asarray(d_weight, dtype=float)
    n_dept = len(d_name)
    # 二级单位 per department in proportion to its size (largest remainder), beyond the 本级 unit
    want = weights / weights.sum() * max(0, scale.units - n_dept)
    n_sub = np.floor(want).astype(int)
    rest = scale.units - n_dept - n_sub.sum()
    if rest > 0:
        n_sub[np.argsort(-(want - n_sub), kind="stable")[:rest]] += 1
    u_dept, u_code, u_name, u_kind, u_sector = [], [], [], [], []
    seen: dict[str, int] = {}
    for d in range(n_dept):
        names = [d_name[d] + "本级"]
        subs = d_subs[d] + _more_units(d_tkey[d], d_name[d], scale.regions[d_region[d]][0], n_sub[d] - len(d_subs[d]))
        for k in range(n_sub[d]):
            base = subs[k % len(subs)]
            names.append(base if k < len(subs) else f"{base}第{_cn_number(k // len(subs) + 1)}分中心")
        for j, name in enumerate(names, start=1):
            if name in seen:  # unit names are unique in the schema
                seen[name] += 1
                name = f"{name}（{_cn_number(seen[name])}）"
            seen.setdefault(name, 1)
            u_dept.append(d)
            u_code.append(f"{d_code[d]}{j:03d}")
            u_name.append(name)
            u_kind.append(d_kind[d])
            u_sector.append(d_sector[d])
    return _Org(d_code, d_name, d_kind, d_sector, d_tpl, d_tkey, weights, d_region,
                np.asarray(u_dept), u_code, u_name, u_kind, u_sector)


# ---------------------------------------------------------------------------------------------
# Helpers


_FUND_LEVELS = ("中央补助资金", "省级补助资金", "市级补助资金", "区级配套资金")
_FUND_SECTORS = ("自然资源", "住建", "城管", "交通", "园区", "乡镇", "民政", "体育", "水利", "农业农村")
_SOE_SECTORS = ("园区", "工信", "财政", "发改")  # where 国有资本经营预算 money goes
_SUBSIDY_WORDS = ("补贴", "补助", "救助", "津贴", "奖补", "资金", "保障")


def _unique_name(in_use: set, dept: int, unit_short: str, tpl: str, recurring: bool, suffix: str) -> str:
    """A project name not used by another running project of the department (the importer links by it).

    A repeated kind of work is named after the 二级单位 doing it (第二小学智慧校园建设项目); within
    one unit, recurring subsidies are split by the level that funds them (中央补助资金, 省级补助资金 …)
    and other work gets its next phase (（二期）).
    """
    candidates = [tpl + suffix] + ([unit_short + tpl + suffix] if unit_short else [])
    base = unit_short + tpl
    levels = recurring and any(w in tpl for w in _SUBSIDY_WORDS)
    k = 2
    while True:
        for name in candidates:
            if (dept, name) not in in_use:
                in_use.add((dept, name))
                return name
        qualifier = _FUND_LEVELS[k - 2] if levels and k - 2 < len(_FUND_LEVELS) else f"{_cn_number(k)}期"
        candidates = [f"{base}（{qualifier}）{suffix}"]
        k += 1


def _more_units(tkey: str, dept: str, region: str, n: int) -> list[str]:
    """二级单位 beyond a department's named ones: more schools, township health centres, service centres."""
    if n <= 0:
        return []
    if tkey == "教育":
        return [f"{region}第{_cn_number(4 + k // 2)}{'中学' if k % 2 == 0 else '小学'}" for k in range(n)]
    if tkey == "卫生健康":
        return [f"{region}{town}镇卫生院" for town in _TOWNS][:n]
    return [dept + s for s in ("综合服务中心", "信息中心", "机关服务中心", "培训中心", "后勤服务中心")][:n]


def _grades(scores: np.ndarray) -> np.ndarray:
    """Vectorised rules.grade_for_score with the default bands (≥90 优, ≥80 良, ≥60 中, else 差)."""
    return np.select([scores >= 90, scores >= 80, scores >= 60], ["优", "良", "中"], "差").astype(object)


def _pick(rng: np.random.Generator, pool, n: int) -> np.ndarray:
    arr = np.empty(len(pool), dtype=object)
    arr[:] = list(pool)
    return arr[rng.integers(0, len(pool), n)]


def _days(base: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return base.astype("datetime64[D]") + offsets.astype("timedelta64[D]")


def _time_progress(day: dt.date) -> float:
    # same definition as rules.time_progress (as-of day counted; leap years have 366 days)
    return day.timetuple().tm_yday / (366 if day.year % 4 == 0 else 365)


def _py(values) -> list:
    """A column slice as Python values: NaN and NaT become None (NULL)."""
    if isinstance(values, list):
        return values
    out = values.tolist()
    if values.dtype.kind == "f":
        for i in np.flatnonzero(np.isnan(values)):
            out[i] = None
    return out


# ---------------------------------------------------------------------------------------------
# Generation


@dataclass
class _Data:
    tables: list[tuple[object, dict]]  # (ORM class, {column: array or list}) in insert order
    counts: dict[str, int]


def generate(scale_name: str = "county", seed: int = 1) -> _Data:
    """All rows of the demo, as column arrays; nothing touches a database here."""
    scale = SCALES[scale_name]
    rng = np.random.default_rng(seed)
    org = _build_org(scale)
    n_dept, n_unit = len(org.dept_name), len(org.unit_name)
    factor = scale.projects / 1200  # everything per year scales with the project count
    region_code = [scale.regions[r][1] for r in org.dept_region]

    # Units of each department, to place projects; the 本级 unit carries more of them.
    unit_w = np.where(np.array([n.endswith("本级") for n in org.unit_name]), 2.5, 1.0)
    dept_units = [np.flatnonzero(org.unit_dept == d) for d in range(n_dept)]
    dept_p = org.dept_weight / org.dept_weight.sum()
    dept_cum = [np.cumsum(unit_w[u]) / unit_w[u].sum() for u in dept_units]
    regions = [scale.regions[org.dept_region[d]][0] for d in range(n_dept)]
    unit_short = [
        "" if name.endswith("本级") else name.removeprefix(org.dept_name[d]).removeprefix(regions[d])
        for name, d in zip(org.unit_name, org.unit_dept.tolist())
    ]

    # Project lines live across years; arrays indexed by line number.
    line_unit: list[int] = []
    line_name: list[str] = []
    line_recurring: list[bool] = []
    line_code: list[str] = []
    line_category: list[str] = []
    line_fund: list[str] = []
    line_key: list[bool] = []
    names_in_use: set[tuple[int, str]] = set()  # (department, name) of the lines running now
    tpl_count: dict[tuple[int, str], int] = {}
    whole_units: set[int] = set()
    seq = 0

    def new_lines(n: int, year: int, first: bool) -> np.ndarray:
        nonlocal seq
        depts = rng.choice(n_dept, size=n, p=dept_p)
        u_pick = rng.random(n)
        t_pick = rng.random(n)
        start = np.where(rng.random(n) < 0.55, year - rng.integers(1, 6, n), year) if first else np.full(n, year)
        cat = rng.choice(4, size=n, p=[0.80, 0.03, 0.07, 0.10])  # 项目支出, 部门整体支出, 政策, 新增债券
        fund = rng.choice(4, size=n, p=[0.75, 0.22, 0.015, 0.015])
        key_draw = rng.random(n)
        ids = np.arange(len(line_unit), len(line_unit) + n)
        unit_of = np.empty(n, dtype=int)
        for d in np.unique(depts):
            sel = depts == d
            units = dept_units[d]
            unit_of[sel] = units[np.minimum(len(units) - 1, np.searchsorted(dept_cum[d], u_pick[sel]))]
        for i in range(n):
            d = int(depts[i])
            u = int(unit_of[i])
            tpls = org.dept_templates[d]
            # the least-used template of the department (sector ones before the generic ones), so
            # that names repeat only when a department has more projects than kinds of work
            used = [tpl_count.get((d, t), 0) + (0.5 if j >= len(tpls) - _N_GENERIC else 0.0) for j, (t, _r) in enumerate(tpls)]
            low = min(used)
            choices = [j for j, c in enumerate(used) if c == low]
            tpl, recurring = tpls[choices[int(t_pick[i] * len(choices))]]
            tpl_count[(d, tpl)] = tpl_count.get((d, tpl), 0) + 1
            c = ("项目支出", "部门整体支出", "政策", "新增债券")[cat[i]]
            f = ("一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算")[fund[i]]
            building = any(w in tpl for w in ("工程", "建设", "改造", "治理", "加固", "厂房"))
            if c == "新增债券" and not building:
                c = "项目支出"
            if c == "政策" and not any(w in tpl for w in _SUBSIDY_WORDS):
                c = "项目支出"
            if c == "部门整体支出" and u in whole_units:
                c = "项目支出"
            # 社保基金 pays insurance subsidies only; 国有资本经营预算 goes to enterprises and parks;
            # 政府性基金 (land income, lottery funds) pays for building and a few sectors
            if f == "社会保险基金预算" and "保险" not in tpl:
                f = "一般公共预算"
            if "保险" in tpl and t_pick[i] < 0.5:
                f = "社会保险基金预算"
            if f == "政府性基金预算" and not building and org.dept_tkey[d] not in _FUND_SECTORS:
                f = "一般公共预算"
            if org.dept_tkey[d] in _SOE_SECTORS and key_draw[i] > 0.88:
                f = "国有资本经营预算"
            if f == "国有资本经营预算" and org.dept_tkey[d] not in _SOE_SECTORS:
                f = "一般公共预算"
            if c == "部门整体支出":
                whole_units.add(u)
                name, recurring = org.unit_name[u].removesuffix("本级") + "部门整体支出", True
            elif c == "新增债券":
                recurring = False
                f = "政府性基金预算" if t_pick[i] < 0.75 else "一般公共预算"  # 专项债券 / 一般债券
                name = _unique_name(names_in_use, d, unit_short[u], tpl.replace("{y}年", ""), recurring,
                                    "（专项债券）" if f == "政府性基金预算" else "（一般债券）")
            else:
                name = _unique_name(names_in_use, d, unit_short[u], tpl, recurring, "")
            seq += 1
            line_unit.append(u)
            line_name.append(name)
            line_recurring.append(recurring)
            line_code.append(f"{region_code[d]}{int(start[i])}{seq:08d}")
            line_category.append(c)
            line_fund.append(f)
            line_key.append(bool(key_draw[i] < 0.06))
        return ids

    def new_budgets(n: int, cats: list[str]) -> np.ndarray:
        b = np.exp(rng.normal(np.log(80.0), 1.45, n))
        mult = np.array([{"新增债券": 6.0, "部门整体支出": 3.0, "政策": 2.0}.get(c, 1.0) for c in cats])
        return b * mult

    proj_cols: dict[str, list] = {k: [] for k in (
        "id", "year", "code", "name", "department_id", "unit_id", "category", "fund_source", "initial_budget",
        "adjusted_budget", "has_target", "target_grade", "ex_ante_result", "is_key")}
    mon: dict[str, list] = {k: [] for k in (
        "project_id", "as_of", "adjusted_budget", "executed", "target_progress", "deviation_reason", "likelihood",
        "needs_rectification", "rectification_requirement", "is_latest")}
    ev: dict[str, list] = {k: [] for k in (
        "year", "kind", "object_type", "object_key", "object_name", "project_id", "department_id", "unit_id",
        "fund_amount", "score", "grade", "evaluator", "deputies_participated", "main_problems",
        "result_application", "next_year_budget_change")}
    fd: dict[str, list] = {k: [] for k in (
        "year", "source", "department_id", "unit_id", "project_id", "description", "requirement", "deadline",
        "status", "completed_on", "measures", "amount")}

    def add(cols: dict[str, list], **values) -> None:
        for k, v in values.items():
            cols[k].append(v)

    next_project_id = 1
    carry_lines = np.array([], dtype=int)
    carry_budget = np.array([], dtype=float)
    unit_dept = org.unit_dept

    for y_i, year in enumerate(YEARS):
        # ---- projects of the year: carried-over lines plus new ones, to about the scale's count
        n_target = round(scale.projects * (1 + 0.02 * y_i) * rng.uniform(0.97, 1.03))
        n_new = max(0, n_target - len(carry_lines))
        fresh = new_lines(n_new, year, first=(y_i == 0))
        fresh_budget = new_budgets(n_new, [line_category[i] for i in fresh])
        # new money is sized so that the year's total lands near 34.5 亿元 per 1,200 projects (金安区 2022)
        goal = 345_000.0 * factor * (1.04 ** y_i)
        if n_new:
            scale_by = np.clip((goal - carry_budget.sum()) / fresh_budget.sum(), 0.5, 2.0)
            fresh_budget = fresh_budget * scale_by
        lines = np.concatenate([carry_lines, fresh]).astype(int)
        initial = np.round(np.concatenate([carry_budget, fresh_budget]), 4)
        initial = np.maximum(initial, 0.5)
        n = len(lines)
        # 事前绩效评估 is for projects starting this year (lines of the first year may be older)
        is_new = np.array([line_code[i][6:10] == str(year) for i in lines])
        adj_draw = rng.random(n)
        adjusted = np.where(adj_draw < 0.7, initial,
                            np.where(adj_draw < 0.9, initial * rng.uniform(1.0, 1.3, n), initial * rng.uniform(0.7, 1.0, n)))
        adjusted = np.round(adjusted, 4)
        has_target = rng.random(n) < 0.97
        tg = np.where(has_target, rng.choice(np.array(["优", "良", "中"], dtype=object), size=n, p=[0.6, 0.32, 0.08]), None)
        ex_ante = np.where(is_new & (rng.random(n) < 0.7),
                           rng.choice(np.array(["支持", "调整后支持", "不予支持"], dtype=object), size=n, p=[0.76, 0.22, 0.02]),
                           None)
        budget_rank = np.argsort(np.argsort(-adjusted, kind="stable"), kind="stable")
        is_key = np.array([line_key[i] for i in lines]) | (budget_rank < 0.03 * n)
        pids = np.arange(next_project_id, next_project_id + n)
        next_project_id += n
        units = np.array([line_unit[i] for i in lines])
        depts = unit_dept[units]
        names = [line_name[i].replace("{y}", str(year)) for i in lines]
        cats = [line_category[i] for i in lines]

        proj_cols["id"] += pids.tolist()
        proj_cols["year"] += [year] * n
        proj_cols["code"] += [line_code[i] for i in lines]
        proj_cols["name"] += names
        proj_cols["department_id"] += (depts + 1).tolist()
        proj_cols["unit_id"] += (units + 1).tolist()
        proj_cols["category"] += cats
        proj_cols["fund_source"] += [line_fund[i] for i in lines]
        proj_cols["initial_budget"] += initial.tolist()
        proj_cols["adjusted_budget"] += adjusted.tolist()
        proj_cols["has_target"] += has_target.tolist()
        proj_cols["target_grade"] += tg.tolist()
        proj_cols["ex_ante_result"] += ex_ante.tolist()
        proj_cols["is_key"] += is_key.tolist()

        # ---- monitoring: most projects with targets report at every checkpoint; a few stop early
        reported = (has_target & (rng.random(n) < 0.95)) | (~has_target & (rng.random(n) < 0.2))
        rep = np.flatnonzero(reported)
        m = len(rep)
        aug = dt.date(year, 8, 31)
        t_aug = _time_progress(aug)
        band = rng.choice(3, size=m, p=[0.715, 0.15, 0.135])  # green, yellow, red at 08-31 (DOMAIN lag rule)
        r_aug = np.where(
            band == 0, (t_aug - 0.095) + (1.0 - t_aug + 0.095) * rng.beta(1.3, 2.2, m),
            np.where(band == 1, t_aug - rng.uniform(0.105, 0.195, m), (t_aug - 0.205) * rng.beta(2.0, 1.4, m)))
        r_aug = np.where((band == 2) & (rng.random(m) < 0.1), 0.0, r_aug)  # not started at all
        bad = (band == 0) & (rng.random(m) < 0.006)
        r_aug = np.where(bad, rng.uniform(1.02, 1.35, m), r_aug)  # bad data: executed above budget
        n_cp = len(scale.checkpoints)
        aug_i = [md for md in scale.checkpoints].index((8, 31))
        rates = np.empty((n_cp, m))
        rates[aug_i] = r_aug
        for c in range(aug_i - 1, -1, -1):
            rates[c] = rates[c + 1] * rng.uniform(0.35 if c < aug_i - 1 else 0.5, 0.85, m)
        for c in range(aug_i + 1, n_cp):
            rates[c] = rates[c - 1] + np.clip(1.0 - rates[c - 1], 0, None) * rng.uniform(0.2, 0.7, m)
        last_cp = np.where(rng.random(m) < 0.02, n_cp - 2, n_cp - 1)  # a few stop reporting after one round
        with_tp = rng.random(m) < 0.4
        tp_lift = rng.uniform(0.0, 0.15, m)
        reason_i = rng.integers(0, len(_DEVIATION_REASONS), (n_cp, m))
        req_i = rng.integers(0, len(_MONITOR_REQUIREMENTS), (n_cp, m))
        like_draw = rng.random((n_cp, m))
        rect_draw = rng.random((n_cp, m))
        budgets_m = adjusted[rep]
        reasons = np.array(_DEVIATION_REASONS, dtype=object)
        reqs = np.array(_MONITOR_REQUIREMENTS, dtype=object)
        for c, (month, day) in enumerate(scale.checkpoints):
            keep = last_cp >= c
            as_of = dt.date(year, month, day)
            t = _time_progress(as_of)
            r = rates[c]
            executed = np.round(budgets_m * r, 4)
            # target progress is never behind money here, so the money lag decides the light
            tp = np.where(with_tp, np.round(np.minimum(np.maximum(r, 0) + tp_lift, 1.0), 4), np.nan)
            lag = (t - r) * 100
            light = np.where(lag >= 20, 2, np.where(lag >= 10, 1, 0))
            likelihood = np.where(
                light == 0, np.where(like_draw[c] < 0.92, "确定能", "有可能"),
                np.where(light == 1, np.where(like_draw[c] < 0.5, "确定能", "有可能"),
                         np.where(like_draw[c] < 0.15, "确定能", np.where(like_draw[c] < 0.88, "有可能", "完全不可能"))))
            needs = (light == 2) | ((light == 1) & (rect_draw[c] < 0.4))
            idx = np.flatnonzero(keep)
            mon["project_id"] += pids[rep][idx].tolist()
            mon["as_of"] += [as_of] * len(idx)
            mon["adjusted_budget"] += budgets_m[idx].tolist()
            mon["executed"] += executed[idx].tolist()
            mon["target_progress"] += _py(tp[idx])
            mon["deviation_reason"] += np.where(light > 0, reasons[reason_i[c]], None)[idx].tolist()
            mon["likelihood"] += likelihood.astype(object)[idx].tolist()
            mon["needs_rectification"] += needs[idx].tolist()
            mon["rectification_requirement"] += np.where(needs, reqs[req_i[c]], None)[idx].tolist()
            mon["is_latest"] += (last_cp[idx] == c).tolist()
        light_aug = np.full(n, -1)  # -1 = no record at 08-31
        has_aug = last_cp >= aug_i
        lag_aug = (t_aug - rates[aug_i]) * 100
        light_aug[rep[has_aug]] = np.where(lag_aug >= 20, 2, np.where(lag_aug >= 10, 1, 0))[has_aug]

        # ---- evaluations of the year (carried out the next spring)
        quality = np.clip(np.where(rng.random(n) < 0.07, rng.normal(71, 9.5, n), rng.normal(91.5, 3.5, n)), 45, 99)
        inflate = np.where(rng.random(n) < 0.15, rng.uniform(6, 16, n), rng.uniform(0, 2.5, n))
        self_score = np.round(np.clip(quality + inflate, 60, 99.5), 1)
        has_self = has_target & (rng.random(n) < 0.92)
        n_key = max(1, round(60 * factor * rng.uniform(0.95, 1.05)))
        key_w = np.sqrt(adjusted) * np.where(is_key, 4.0, 1.0) * np.where(has_target, 1.0, 0.3)
        key_sel = np.zeros(n, bool)
        key_sel[rng.choice(n, size=min(n_key, n), replace=False, p=key_w / key_w.sum())] = True
        dept_sel = (rng.random(n) < 0.08) & ~key_sel
        recheck_sel = has_self & (rng.random(n) < 0.2)
        key_score = np.round(np.clip(quality + rng.normal(0, 1.5, n), 40, 99), 1)
        dept_score = np.round(np.clip(quality + rng.normal(1.5, 2.0, n), 40, 99.5), 1)
        recheck_score = np.round(np.clip(quality + rng.normal(0, 1.5, n), 40, 99), 1)
        # the most independent grade decides next year's money: 重点评价 > 抽查复核 > 部门评价 > 自评
        decisive = np.where(key_sel, key_score, np.where(recheck_sel, recheck_score,
                            np.where(dept_sel, dept_score, np.where(has_self, self_score, np.nan))))
        dec_grade = _grades(np.nan_to_num(decisive, nan=100))
        evaluated = ~np.isnan(decisive)
        change_pct = np.select(
            [dec_grade == "优", dec_grade == "良", dec_grade == "中"],
            [rng.uniform(0.0, 0.1, n), rng.uniform(-0.03, 0.05, n), -rng.uniform(0.1, 0.3, n)], -1.0)
        change_pct = np.where(evaluated, change_pct, rng.normal(0.03, 0.06, n))
        recurring = np.array([line_recurring[i] for i in lines])
        continues = np.where(recurring, rng.random(n) < 0.93, rng.random(n) < 0.3)
        continues &= ~(evaluated & (dec_grade == "差"))  # 差: 取消/暂停
        continues |= evaluated & (dec_grade == "中") & recurring  # 中 is cut, not dropped
        next_initial = np.round(np.maximum(adjusted * (1 + change_pct), 0.5), 4)
        change = np.where(continues, np.round(next_initial - adjusted, 4),
                          np.where(evaluated & (dec_grade == "差"), -adjusted, np.nan))
        decisive_kind = np.where(key_sel, 2, np.where(recheck_sel, 3, np.where(dept_sel, 1, 0)))
        carry_lines = lines[continues]
        for line in lines[~continues].tolist():  # an ended project's name is free again
            names_in_use.discard((int(unit_dept[line_unit[line]]), line_name[line]))
        carry_budget = next_initial[continues]

        firms = np.array(_FIRMS, dtype=object)
        bureau = next(name for name in org.dept_name if name.endswith("财政局"))
        unit_names = np.array(org.unit_name, dtype=object)
        dept_names = np.array(org.dept_name, dtype=object)
        prob_pool = np.array([p[0] for p in _FINDINGS_EVALUATION], dtype=object)
        for kind_i, (kind, sel, scores) in enumerate((
                ("单位自评", has_self, self_score), ("部门评价", dept_sel, dept_score),
                ("财政重点评价", key_sel, key_score), ("抽查复核", recheck_sel, recheck_score))):
            idx = np.flatnonzero(sel)
            k = len(idx)
            sc = scores[idx]
            gr = _grades(sc)
            if kind == "单位自评":
                evaluator = unit_names[units[idx]]
            elif kind == "部门评价":
                evaluator = dept_names[depts[idx]]
            elif kind == "财政重点评价":
                evaluator = firms[rng.integers(0, len(firms), k)]
            else:
                evaluator = np.where(rng.random(k) < 0.5, bureau + "绩效评价中心", firms[rng.integers(0, len(firms), k)])
            deputies = (rng.random(k) < 0.3).astype(object) if kind == "财政重点评价" else np.full(k, None)
            p1 = rng.integers(0, len(prob_pool), k)
            p2 = (p1 + rng.integers(1, len(prob_pool), k)) % len(prob_pool)
            problems = np.where(gr == "优", None, prob_pool[p1]).astype(object)
            if kind in ("财政重点评价", "抽查复核"):
                problems = np.array([f"{a}；{b}" for a, b in zip(prob_pool[p1], prob_pool[p2])], dtype=object)
            elif kind == "单位自评":
                problems = np.where(gr == "优", None, _pick(rng, _SELF_PROBLEMS, k))
            own = decisive_kind[idx] == kind_i
            chg = np.where(own, change[idx], np.nan)
            application = [_application(g, c, a) for g, c, a in zip(gr, chg.tolist(), adjusted[idx].tolist())]
            ev["year"] += [year] * k
            ev["kind"] += [kind] * k
            ev["object_type"] += ["项目支出"] * k
            ev["object_key"] += [f"p:{p}" for p in pids[idx].tolist()]
            ev["object_name"] += [names[i] for i in idx]
            ev["project_id"] += pids[idx].tolist()
            ev["department_id"] += (depts[idx] + 1).tolist()
            ev["unit_id"] += (units[idx] + 1).tolist()
            ev["fund_amount"] += adjusted[idx].tolist()
            ev["score"] += sc.tolist()
            ev["grade"] += gr.tolist()
            ev["evaluator"] += evaluator.tolist()
            ev["deputies_participated"] += deputies.tolist()
            ev["main_problems"] += problems.tolist()
            ev["result_application"] += application
            ev["next_year_budget_change"] += _py(chg)

        # 部门整体支出 and 政策 key evaluations (department-level objects, no project)
        budget_by_dept = np.bincount(depts, weights=adjusted, minlength=n_dept)
        eligible = np.flatnonzero((np.array(org.dept_kind) == "部门") & (budget_by_dept > 0))
        n_whole = min(len(eligible), max(1, round(7 * factor)))
        whole = rng.choice(eligible, size=n_whole, replace=False, p=budget_by_dept[eligible] / budget_by_dept[eligible].sum())
        objects = [(int(d), f"{org.dept_name[d]}{year}年度部门整体支出", "部门整体支出", float(budget_by_dept[d]) * 1.6)
                   for d in sorted(whole.tolist())]
        n_policy = int(rng.integers(1, 3)) * max(1, round(factor ** 0.5))
        for p_i in range(n_policy):
            pol = (y_i * 3 + p_i) % len(_POLICIES)
            region_i = p_i % len(scale.regions)
            region = scale.regions[region_i][0]
            tkey = {"农业农村": "农业农村局", "民政": "民政局", "人社": "人力资源和社会保障局", "教育": "教育局",
                    "科技": "科学技术局", "工信": "经济和信息化局"}[_POLICY_SECTOR[pol]]
            d = org.dept_name.index(region + tkey)
            name = f"{region}{_POLICIES[pol]}" if p_i < len(_POLICIES) else f"{region}{_POLICIES[pol]}（{p_i}）"
            if any(o[1] == name for o in objects):
                continue
            objects.append((d, name, "政策", round(float(np.exp(rng.normal(np.log(3000 * max(1, factor ** 0.3)), 0.5))), 4)))
        whole_scores = np.round(np.clip(rng.normal(86, 5, len(objects)), 62, 97), 1)
        for (d, name, otype, amount), sc in zip(objects, whole_scores.tolist()):
            g = _grades(np.array([sc]))[0]
            p1, p2 = rng.choice(len(_DEPT_FINDINGS), size=2, replace=False)
            add(ev, year=year, kind="财政重点评价", object_type=otype, object_key=f"d:{d + 1}:{name[:240]}",
                object_name=name, project_id=None, department_id=d + 1, unit_id=None, fund_amount=round(amount, 4),
                score=sc, grade=g, evaluator=_FIRMS[int(rng.integers(0, len(_FIRMS)))],
                deputies_participated=bool(rng.random() < 0.4),
                main_problems=f"{_DEPT_FINDINGS[p1][0]}；{_DEPT_FINDINGS[p2][0]}",
                result_application=_application(g, None, None), next_year_budget_change=None)

        # ---- findings (问题) and their rectification, aged against DEMO_TODAY
        n_find = round((520 - 70 * y_i) * factor * rng.uniform(0.95, 1.05))
        src_p = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
        src = rng.choice(5, size=n_find, p=src_p)
        counts_src = np.bincount(src, minlength=5)
        pools = (_FINDINGS_MONITORING, _FINDINGS_EVALUATION, _FINDINGS_RECHECK, _FINDINGS_AUDIT, _FINDINGS_CONGRESS)
        names_src = ("绩效监控", "财政重点评价", "抽查复核", "审计", "人大")
        # where each source looks: monitoring at lagging projects, evaluations at what they evaluated
        lag_w = np.where(light_aug == 2, 3.0, np.where(light_aug == 1, 1.0, 0.0))
        flagged = recheck_sel & ((self_score - recheck_score >= 10) | (_grades(self_score) != _grades(recheck_score)))
        weights_src = (lag_w, key_sel * 1.0, recheck_sel * (1.0 + 4.0 * flagged),
                       np.sqrt(adjusted), np.sqrt(adjusted) * np.where(is_key, 3.0, 1.0))
        found_base = (np.datetime64(f"{year}-09-10"), np.datetime64(f"{year + 1}-05-01"),
                      np.datetime64(f"{year + 1}-04-15"), np.datetime64(f"{year + 1}-03-01"),
                      np.datetime64(f"{year + 1}-06-01"))
        found_span = (50, 100, 80, 150, 120)
        status_p = ((0.93, 0.05, 0.02), (0.82, 0.12, 0.06), (0.45, 0.35, 0.20))[y_i]
        whole_depts = [o[0] for o in objects if o[2] == "部门整体支出"]
        for s in range(5):
            k = int(counts_src[s])
            if k == 0:
                continue
            w = weights_src[s]
            # a share of evaluation, audit and congress findings concern a department as a whole
            dept_level = rng.random(k) < (0.0, 0.15, 0.0, 0.2, 0.25)[s]
            proj = rng.choice(n, size=k, p=w / w.sum()) if w.sum() > 0 else rng.choice(n, size=k)
            d_of = depts[proj].copy()
            if s == 1 and whole_depts:
                d_of = np.where(dept_level, np.array(whole_depts)[rng.integers(0, len(whole_depts), k)], d_of)
            pool = pools[s]
            pi = rng.integers(0, len(pool), k)
            dpi = rng.integers(0, len(_DEPT_FINDINGS), k)
            found = _days(np.full(k, found_base[s]), rng.integers(0, found_span[s], k))
            found = np.minimum(found, np.datetime64(DEMO_TODAY) - 20)
            deadline = found + rng.integers(45, 180, k).astype("timedelta64[D]")
            st = rng.choice(3, size=k, p=status_p)  # 已整改, 整改中, 未整改
            # rectified before (or a little after) the deadline, never after the demo's today
            span = np.maximum(10, ((deadline - found).astype(int) + 40) * rng.random(k)).astype(int)
            done = found + span.astype("timedelta64[D]")
            done = np.minimum(done, np.datetime64(DEMO_TODAY))
            amounts = np.where(rng.random(k) < 0.6,
                               np.round(np.minimum(adjusted[proj], 5000) * rng.uniform(0.01, 0.3, k), 4), np.nan)
            for j in range(k):
                if dept_level[j]:
                    desc, req, meas = _DEPT_FINDINGS[dpi[j]]
                    p_id, u_id = None, None
                else:
                    desc, req, meas = pool[pi[j]]
                    p_id, u_id = int(pids[proj[j]]), int(units[proj[j]]) + 1
                status = ("已整改", "整改中", "未整改")[st[j]]
                add(fd, year=year, source=names_src[s], department_id=int(d_of[j]) + 1, unit_id=u_id,
                    project_id=p_id, description=desc, requirement=req, deadline=deadline[j].item(),
                    status=status, completed_on=done[j].item() if st[j] == 0 else None,
                    measures=meas if st[j] == 0 else ("正在落实：" + meas if st[j] == 1 else None),
                    amount=None if np.isnan(amounts[j]) else float(amounts[j]))

    # ---- finish the tables: ids, keys, dedupe findings on their natural key
    n_mon = len(mon["project_id"])
    mon["id"] = list(range(1, n_mon + 1))
    n_ev = len(ev["year"])
    ev["id"] = list(range(1, n_ev + 1))
    keys = [finding_key(d, p, desc) for d, p, desc in zip(fd["department_id"], fd["project_id"], fd["description"])]
    seen: set[tuple[int, str]] = set()
    keep = []
    for i, (year, key) in enumerate(zip(fd["year"], keys)):
        if (year, key) not in seen:
            seen.add((year, key))
            keep.append(i)
    fd = {k: [v[i] for i in keep] for k, v in fd.items()}
    fd["finding_key"] = [keys[i] for i in keep]
    fd["id"] = list(range(1, len(keep) + 1))

    depts_cols = {"id": list(range(1, n_dept + 1)), "code": org.dept_code, "name": org.dept_name,
                  "kind": org.dept_kind, "sector": org.dept_sector}
    units_cols = {"id": list(range(1, n_unit + 1)), "department_id": (org.unit_dept + 1).tolist(),
                  "code": org.unit_code, "name": org.unit_name, "kind": org.unit_kind, "sector": org.unit_sector}
    tables = [(Department, depts_cols), (Unit, units_cols), (Project, proj_cols), (MonitoringRecord, mon),
              (Evaluation, ev), (Finding, fd)]
    counts = {"departments": n_dept, "units": n_unit, "projects": len(proj_cols["id"]),
              "monitoring": n_mon, "evaluations": n_ev, "findings": len(fd["id"])}
    return _Data(tables, counts)


def _known(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _application(grade: str, change: float | None, budget: float | None) -> str:
    """结果应用 wording per grade (DOMAIN.md: 优 优先保障, 良 保障, 中 压减, 差 取消/暂停)."""
    if grade == "优":
        return "评价结果为优，下年度预算优先保障"
    if grade == "良":
        return "评价结果为良，下年度预算予以保障"
    if grade == "中":
        if _known(change) and budget:
            return f"评价结果为中，下年度预算压减{abs(change) / budget:.0%}"
        return "评价结果为中，下年度预算予以压减"
    if _known(change):
        return "评价结果为差，取消该项目下年度预算"
    return "评价结果为差，暂停安排预算，整改到位后再行申请"


# ---------------------------------------------------------------------------------------------
# Loading


def _insert(conn, table, cols: dict, extra: dict) -> None:
    """Insert column arrays into `table` in chunks, by the fastest route the backend offers.

    Values are plain Python values already (str, int, float, bool, date, None), so SQLAlchemy's
    per-row parameter processing is skipped: on SQLite the compiled `insert(table)` goes straight to
    the driver's executemany (dates as the ISO text SQLAlchemy itself stores); on PostgreSQL rows
    are streamed with COPY. Other backends take the plain Core executemany.
    """
    names = list(cols) + list(extra)
    n = len(next(iter(cols.values())))
    dialect = conn.dialect.name
    if dialect == "postgresql":
        driver = conn.connection.driver_connection  # same connection, same transaction
        columns = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in names)
        with driver.cursor() as cur, cur.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for start in range(0, n, CHUNK):
                for row in _chunk_rows(cols, extra, start):
                    copy.write_row(row)
        return
    if dialect == "sqlite":
        # the statement Core would compile for these columns, with positional parameters
        quote = conn.dialect.identifier_preparer.quote
        stmt = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in names)}) "
                f"VALUES ({', '.join('?' * len(names))})")
        dates = tuple(c.name for c in table.columns if isinstance(c.type, Date) and c.name in cols)
        cursor = conn.connection.driver_connection.cursor()
        try:
            for start in range(0, n, CHUNK):
                cursor.executemany(stmt, _chunk_rows(cols, extra, start, dates))
        finally:
            cursor.close()
        return
    for start in range(0, n, CHUNK):
        conn.execute(insert(table), [dict(zip(names, row)) for row in _chunk_rows(cols, extra, start)])


def _chunk_rows(cols: dict, extra: dict, start: int, iso_dates: tuple[str, ...] = ()) -> list[tuple]:
    """Rows [start, start + CHUNK) as tuples; columns named in `iso_dates` as 'YYYY-MM-DD' text."""
    lists = []
    for name, values in cols.items():
        col = _py(values[start:start + CHUNK])
        if name in iso_dates:
            col = [None if d is None else d.isoformat() for d in col]
        lists.append(col)
    m = len(lists[0])
    lists += [[v] * m for v in extra.values()]
    return list(zip(*lists))


def _clear(conn, is_pg: bool) -> None:
    """Remove every data row, the change log and the import history (children first)."""
    tables = [t.__table__ for t in (Finding, Evaluation, MonitoringRecord, Project, Unit, Department)]
    tables += [ChangeLog.__table__, ImportBatch.__table__]
    if is_pg:
        # TRUNCATE is far faster than DELETE at province scale and is transactional in PostgreSQL;
        # if another table references these (a later migration), fall back to DELETE.
        savepoint = conn.begin_nested()
        try:
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables)))
            savepoint.commit()
            return
        except Exception:  # noqa: BLE001 - any refusal means "use DELETE"
            savepoint.rollback()
    for t in tables:
        conn.execute(delete(t))


def _pg_suspend_constraints(conn) -> list[str]:
    """Drop the data tables' secondary indexes, unique and foreign-key constraints; return the SQL that restores them.

    PostgreSQL maintains each index and checks each foreign key row by row during COPY, which made
    the province load take minutes; building indexes afterwards and validating each foreign key
    with one join is the bulk-load recipe of the PostgreSQL manual ("Populating a Database").
    The definitions are read from the catalogue, so whatever the migrations created is restored
    exactly, and it all happens inside the load's transaction: nobody sees the tables without them.
    """
    names = [m.__tablename__ for m in (Department, Unit, Project, MonitoringRecord, Evaluation, Finding)]
    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    constraints = conn.execute(text(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = ANY(:names)"
        " AND t.relnamespace = current_schema()::regnamespace AND c.contype IN ('f', 'u')"
        " ORDER BY c.contype, c.conname"), {"names": names}).all()
    indexes = conn.execute(text(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(:names)"
        " AND t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        " ORDER BY i.relname"), {"names": names}).all()
    quote = conn.dialect.identifier_preparer.quote
    # foreign keys ('f') sort before unique constraints ('u'): drop them first, restore them last
    for table, name, _kind, _definition in constraints:
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    for name, _definition in indexes:
        conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
    restore = [definition for _name, definition in indexes]
    restore += [f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
                for table, name, _kind, definition in reversed(constraints)]
    return restore


def load_demo(url: str, scale: str = "county", seed: int = 1) -> dict:
    """Replace all data with the demo for `scale`, in one transaction. Returns counts and seconds."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    started = time.perf_counter()
    db.init_db(url)
    data = generate(scale, seed)
    engine = db.get_engine(url)
    is_pg = engine.dialect.name == "postgresql"
    is_sqlite = engine.dialect.name == "sqlite"
    batch_id = 1
    counts = {k: {"inserted": v, "updated": 0} for k, v in data.counts.items()}
    with engine.connect() as conn:
        if is_sqlite:
            # a demo load can be redone; skipping fsyncs roughly halves province load time
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.commit()
        try:
            with conn.begin():
                _clear(conn, is_pg)
                conn.execute(insert(ImportBatch.__table__), [{
                    "id": batch_id, "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    "user": None, "source": "demo", "files": [], "counts": counts, "status": "committed",
                    "note": f"演示数据 scale={scale} seed={seed}"}])
                extra = {"created_batch_id": batch_id, "batch_id": batch_id}
                restore = _pg_suspend_constraints(conn) if is_pg else []
                for model, cols in data.tables:
                    _insert(conn, model.__table__, cols, extra)
                for statement in restore:
                    conn.exec_driver_sql(statement)
                if is_pg:
                    # ids were given explicitly: move the sequences past them for later imports
                    for t in ("import_batches", "change_log", "departments", "units", "projects", "monitoring",
                              "evaluations", "findings"):
                        conn.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {t}"))
                session = Session(bind=conn)
                db.bump_data_version(session)
                session.flush()
                session.close()
            # fresh statistics for the pages' aggregates (without them SQLite picks poor indexes)
            conn.execute(text("ANALYZE"))
            conn.commit()
        finally:
            if is_sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                conn.commit()
    stats = {"scale": scale, "seed": seed, **data.counts, "seconds": round(time.perf_counter() - started, 2)}
    return stats
