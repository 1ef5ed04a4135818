"""`cangku demo`: a realistic trading company — two warehouses, ~200 items in ten categories, lots, serials, partners, users, opening stock,
price lists, reorder rules, and orders waiting for approval, receipt and picking.

Generated from a fixed seed, so every load is the same company. Loading it into a database
that already holds it changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from labels.gs1 import with_check_digit
from server.auth.permissions import SYSTEM
from server.auth.services import create_user
from server.catalog.schemas import BarcodeIn, CategoryCreate, ItemCreate, LotCreate, Tracking
from server.catalog.services import create_category, create_item, create_lot
from server.db import Database
from server.inventory.services import move
from server.locations.models import Location
from server.locations.schemas import LocationCreate
from server.locations.services import create_location
from server.partners.models import PriceList
from server.partners.schemas import PartnerCreate
from server.partners.services import create_partner
from server.schemas import Amount, Price, Quantity, plain_as

# Follows the password policy like any other (server/auth/services.py check_password).
DEMO_PASSWORD = "cangku-demo"
DEMO_USERS = [
    ("admin", "系统管理员 Admin", ["admin"], []),
    ("warehouse", "仓库员 王强", ["warehouse"], ["SH"]),
    ("sales", "销售 李娜", ["sales"], []),
    ("approver", "审批人 张伟", ["approver"], []),
    ("finance", "财务 刘芳", ["finance"], []),
    ("purchaser", "采购 陈静", ["purchaser"], []),
    ("approver2", "审批人 赵敏", ["approver"], []),
    ("director", "总监 孙磊", ["director"], []),
]

WAREHOUSES = [
    # code, zh, en, zones: (suffix, zh, en, aisles, levels, quarantine)
    ("SH", "上海一号仓", "Shanghai DC", [
        ("A", "常温区", "Ambient", 6, 4, False),
        ("B", "冷链区", "Chilled", 3, 3, False),
        ("Q", "待检区", "Quarantine", 1, 2, True),
        ("R", "退货区", "Returns", 1, 2, False),
    ]),
    ("BJ", "北京仓", "Beijing DC", [
        ("A", "常温区", "Ambient", 4, 3, False),
        ("Q", "待检区", "Quarantine", 1, 1, True),
    ]),
]

# The item categories, by the prefix of their items' SKUs.
CATEGORIES = {
    "BEV": ("饮料", "Beverages"), "DRY": ("休闲食品", "Snacks"), "MLK": ("奶粉", "Milk powder"), "HOM": ("家居清洁", "Household"),
    "CAR": ("个人护理", "Personal care"), "STA": ("文具", "Stationery"), "ELC": ("数码电子", "Electronics"), "FRZ": ("冷冻食品", "Frozen food"),
    "KIT": ("厨具", "Kitchenware"), "KG": ("粮油散装", "Grains in bulk"),
}
# category prefix, tracking, unit, units in a carton, shelf life in days, products (zh, en), variants (zh, en)
CATALOG: list[tuple[str, Tracking, str, int, int | None, list[tuple[str, str]], list[tuple[str, str]]]] = [
    ("BEV", "lot", "瓶", 24, 365, [("矿泉水", "Mineral water"), ("绿茶", "Green tea"), ("乌龙茶", "Oolong tea"), ("橙汁", "Orange juice"),
                                   ("苏打水", "Soda water"), ("椰子水", "Coconut water"),
                                   ("咖啡饮料", "Coffee drink"), ("运动饮料", "Sports drink")], [("350ml", "350ml"), ("550ml", "550ml"), ("1.5L", "1.5L")]),
    ("DRY", "lot", "袋", 20, 270, [("苏打饼干", "Soda crackers"), ("坚果混合", "Mixed nuts"), ("牛肉干", "Beef jerky"), ("燕麦片", "Rolled oats"),
                                   ("海苔", "Seaweed snack"), ("薯片", "Potato chips"), ("巧克力", "Chocolate")], [("小包", "small pack"), ("家庭装", "family pack"), ("原味", "original"), ("香辣", "spicy")]),
    ("MLK", "lot", "罐", 6, 540, [("婴儿奶粉", "Infant formula"), ("全脂奶粉", "Whole milk powder"), ("羊奶粉", "Goat milk powder")],
     [("1段 800g", "stage 1 800g"), ("2段 800g", "stage 2 800g"), ("3段 800g", "stage 3 800g")]),
    ("HOM", "none", "件", 12, None, [("洗衣液", "Laundry detergent"), ("洗洁精", "Dish soap"), ("抽纸", "Facial tissue"), ("垃圾袋", "Bin bags"),
                                     ("保鲜膜", "Cling film"), ("湿巾", "Wet wipes"), ("衣物柔顺剂", "Fabric softener"), ("消毒液", "Disinfectant")], [("标准装", "standard"), ("大包装", "large"), ("补充装", "refill"), ("无香", "unscented")]),
    ("CAR", "none", "件", 24, None, [("洗发水", "Shampoo"), ("沐浴露", "Body wash"), ("牙膏", "Toothpaste"), ("牙刷", "Toothbrush"),
                                     ("护手霜", "Hand cream"), ("洗面奶", "Facial cleanser"), ("漱口水", "Mouthwash")], [("200ml", "200ml"), ("400ml", "400ml"), ("旅行装", "travel size"), ("家庭装", "family size")]),
    ("STA", "none", "个", 50, None, [("中性笔", "Gel pen"), ("笔记本", "Notebook"), ("订书机", "Stapler"), ("文件夹", "File folder"),
                                     ("便利贴", "Sticky notes"), ("计算器", "Calculator"), ("胶带", "Packing tape")], [("黑色", "black"), ("蓝色", "blue"), ("A5", "A5"), ("A4", "A4")]),
    ("ELC", "serial", "台", 10, None, [("蓝牙耳机", "Bluetooth earphones"), ("充电宝", "Power bank"), ("扫码枪", "Barcode scanner"),
                                       ("智能手环", "Fitness band"), ("蓝牙音箱", "Bluetooth speaker")], [("标准版", "standard"), ("Pro", "Pro"), ("白色", "white")]),
    ("FRZ", "lot", "袋", 12, 180, [("速冻水饺", "Frozen dumplings"), ("汤圆", "Glutinous rice balls"), ("冰淇淋", "Ice cream"), ("酸奶", "Yogurt")],
     [("500g", "500g"), ("1kg", "1kg"), ("家庭装", "family pack")]),
    ("KIT", "none", "件", 20, None, [("保温杯", "Vacuum flask"), ("菜刀", "Kitchen knife"), ("砧板", "Cutting board"), ("锅铲", "Spatula")],
     [("小号", "small"), ("中号", "medium"), ("大号", "large")]),
    ("KG", "none", "kg", 25, None, [("大米", "Rice"), ("白砂糖", "White sugar"), ("面粉", "Wheat flour"), ("绿豆", "Mung beans"), ("黄豆", "Soybeans")], [("散装", "bulk"), ("优选", "premium")]),
]

SUPPLIERS = [
    ("S-NF", "农夫山泉股份有限公司", "Nongfu Spring Co., Ltd.", "杭州市西湖区", "91330100MA2B12345X"),
    ("S-HL", "恒隆日化有限公司", "Henglong Daily Chemicals Ltd.", "广州市白云区", "91440101MA5C23456Y"),
    ("S-BX", "宝鑫电子科技", "Baoxin Electronics", "深圳市南山区", "91440300MA5D34567Z"),
    ("S-JD", "金盾文具", "Jindun Stationery", "宁波市鄞州区", "91330200MA2E45678A"),
    ("S-MY", "美域乳业", "Meiyu Dairy", "呼和浩特市", "91150100MA0F56789B"),
]
CUSTOMERS = [
    ("C-HM", "华联超市", "Hualian Supermarkets", "上海市静安区", Decimal("500000")),
    ("C-YH", "永辉便利店", "Yonghui Convenience", "北京市朝阳区", Decimal("200000")),
    ("C-KD", "快达电商", "Kuaida E-commerce", "杭州市余杭区", Decimal("800000")),
    ("C-XM", "小明母婴店", "Xiaoming Baby Store", "苏州市工业园区", Decimal("50000")),
    ("C-BG", "博高办公用品", "Bogao Office Supplies", "上海市浦东新区", Decimal("100000")),
]


def is_loaded(session: Session) -> bool:
    return session.scalar(select(Location.id).where(Location.code == "SH")) is not None


def load_demo(db: Database, *, today: dt.date | None = None) -> bool:
    """Load the demo company; returns False (and writes nothing) when it is already there."""
    with db.write() as session:
        if is_loaded(session):
            return False
        _load(session, today or dt.date.today())
    return True


def _load(session: Session, today: dt.date) -> None:
    rng = random.Random(2026)
    bins: dict[str, list[str]] = {}
    for code, zh, en, zones in WAREHOUSES:
        create_location(session, SYSTEM, LocationCreate(code=code, kind="warehouse", name_zh=zh, name_en=en))
        bins[code] = []
        for suffix, zzh, zen, aisles, levels, quarantine in zones:
            zone = f"{code}-{suffix}"
            create_location(
                session, SYSTEM,
                LocationCreate(code=zone, kind="zone", parent=code, name_zh=f"{zh}{zzh}", name_en=f"{en} {zen}", quarantine=quarantine),
            )
            for aisle in range(1, aisles + 1):
                for level in range(1, levels + 1):
                    bin_code = f"{zone}-{aisle:02d}-{level:02d}"
                    create_location(
                        session, SYSTEM,
                        LocationCreate(
                            code=bin_code, kind="bin", parent=zone, quarantine=quarantine,
                            name_zh=f"{zzh} {aisle}排{level}层", name_en=f"{zen} aisle {aisle} level {level}",
                        ),
                    )
                    if not quarantine and suffix != "R":
                        bins[code].append(bin_code)

    for username, name, roles, warehouses in DEMO_USERS:
        create_user(
            session, SYSTEM, username=username, password=DEMO_PASSWORD, roles=roles, display_name=name,
            warehouses=warehouses,
        )

    for code, zh, en, address, tax_id in SUPPLIERS:
        create_partner(session, SYSTEM, PartnerCreate(code=code, kind="supplier", name_zh=zh, name_en=en, address=address,
                                                      tax_id=tax_id, contact="销售部 Sales", phone=f"400-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"))
    for code, zh, en, address, limit in CUSTOMERS:
        create_partner(session, SYSTEM, PartnerCreate(code=code, kind="customer", name_zh=zh, name_en=en, address=address,
                                                      credit_limit=plain_as(Amount, limit), payment_terms_days=rng.choice((30, 45, 60)),
                                                      contact="采购部 Purchasing", phone=f"021-{rng.randint(10000000, 99999999)}"))

    for code, (zh, en) in CATEGORIES.items():
        create_category(session, SYSTEM, CategoryCreate(code=code, name_zh=zh, name_en=en))
    serial_counter = 0
    company = 6901234  # a GS1 China company prefix for the demo's own barcodes
    number = 0
    for prefix, tracking, unit, carton, shelf_life, products, variants in CATALOG:
        for pzh, pen in products:
            for vzh, ven in variants:
                number += 1
                sku = f"{prefix}-{number:04d}"
                ean = with_check_digit(f"{company}{number:05d}")
                case_gtin = with_check_digit(f"1{company}{number:05d}")
                decimals = 3 if unit == "kg" else 0
                create_item(
                    session, SYSTEM,
                    ItemCreate(
                        sku=sku, name_zh=f"{pzh} {vzh}", name_en=f"{pen}, {ven}", unit=unit, unit_decimals=decimals,
                        tracking=tracking, category=prefix,
                        shelf_life_days=shelf_life,
                        reorder_point=plain_as(Quantity, Decimal(carton * 2)), reorder_qty=plain_as(Quantity, Decimal(carton * 10)),
                        barcodes=[BarcodeIn(code=ean, pack="each", qty=plain_as(Quantity, Decimal(1))),
                                  BarcodeIn(code=case_gtin, pack="carton", qty=plain_as(Quantity, Decimal(carton)))],
                    ),
                )
                cost = Decimal(rng.randint(150, 25000)).scaleb(-2)
                for warehouse in ("SH", "BJ") if number % 3 else ("SH",):
                    bin_code = rng.choice(bins[warehouse])
                    cartons = rng.randint(1, 8)
                    if tracking == "lot":
                        for lot_index in range(2):
                            produced = today - dt.timedelta(days=rng.randint(10, (shelf_life or 365) // 2))
                            lot_code = f"L{produced:%y%m%d}{lot_index + 1}"
                            lot_exists = _lot_exists(session, sku, lot_code)
                            if not lot_exists:
                                create_lot(session, SYSTEM, LotCreate(sku=sku, code=lot_code, produced_on=produced))
                            move(session, SYSTEM, sku=sku, qty=Decimal(carton * cartons), source="OPENING", target=bin_code,
                                 lot=lot_code, reason="期初库存 opening stock", unit_cost=cost)
                    elif tracking == "serial":
                        count = rng.randint(2, 6)
                        serials = [f"SN{number:04d}{serial_counter + i:05d}" for i in range(count)]
                        serial_counter += count
                        move(session, SYSTEM, sku=sku, qty=Decimal(count), source="OPENING", target=bin_code,
                             serials=serials, reason="期初库存 opening stock", unit_cost=cost)
                    else:
                        qty = Decimal(carton * cartons) + (Decimal(rng.randint(0, 999)).scaleb(-3) if decimals else 0)
                        move(session, SYSTEM, sku=sku, qty=qty, source="OPENING", target=bin_code,
                             reason="期初库存 opening stock", unit_cost=cost)
    _documents(session, today, rng)


def _documents(session: Session, today: dt.date, rng: random.Random) -> None:
    """Work in progress, as a company has it on any morning: areas, prices, reorder rules, orders waiting at every step."""
    from server.auth.models import User
    from server.auth.services import actor_for
    from server.catalog.models import Item
    from server.inventory.models import Balance, Valuation
    from server.partners.models import Partner
    from server.partners.schemas import PriceIn, PriceListCreate
    from server.partners.services import create_price_list
    from server.purchasing import reorder
    from server.purchasing import services as purchasing
    from server.sales import services as sales

    for code in ("SH", "BJ"):
        for suffix, zh, en, quarantine in (("DOCK", "收货区", "receiving dock", False), ("OUT", "发货区", "shipping area", False),
                                           ("RET", "退货待处理区", "returns area", True)):
            create_location(session, SYSTEM, LocationCreate(code=f"{code}-{suffix}", kind="zone", parent=code, quarantine=quarantine,
                                                            name_zh=f"{code} {zh}", name_en=f"{code} {en}"))
    users = {u.username: actor_for(u) for u in session.scalars(select(User))}
    costs = {
        sku: (value / qty) for sku, value, qty in session.execute(
            select(Item.sku, Valuation.value, Valuation.qty).join(Valuation, Valuation.item_id == Item.id).where(Valuation.qty > 0)
        ).all()
    }
    create_price_list(session, SYSTEM, PriceListCreate(
        code="STD", kind="sales", name_zh="标准零售价", name_en="Standard prices",
        prices=[PriceIn(sku=sku, price=plain_as(Price, (cost * Decimal("1.35")).quantize(Decimal("0.01")))) for sku, cost in sorted(costs.items())],
    ))
    for partner in session.scalars(select(Partner).where(Partner.kind == "customer")):
        partner.price_list_id = session.scalar(select(PriceList.id).where(PriceList.code == "STD"))
    skus = sorted(costs)
    for sku in skus[:6]:
        reorder.set_rule(session, users["purchaser"], sku=sku, warehouse="SH", min_qty=Decimal(12), reorder_qty=Decimal(96), supplier="S-NF")
    price = {sku: cost.quantize(Decimal("0.01")) for sku, cost in costs.items()}
    buyer, approver = users["purchaser"], users["approver"]

    def lines(chosen: list[str], qty: int) -> list[purchasing.LineIn]:
        return [purchasing.LineIn(sku=sku, qty=Decimal(qty), unit_price=price[sku]) for sku in chosen]

    small = purchasing.create_po(session, buyer, supplier="S-NF", warehouse="SH", lines=lines(skus[:3], 24), note="常规补货 routine restock")
    purchasing.submit_po(session, buyer, small.number)
    large = purchasing.create_po(session, buyer, supplier="S-MY", warehouse="SH", lines=lines(skus[40:46], 120), note="春节备货 holiday stock")
    purchasing.submit_po(session, buyer, large.number)
    if large.status == "pending":
        purchasing.approve_po(session, approver, large.number, version=large.version, comment="已核价 prices checked")
    coming = purchasing.create_po(session, buyer, supplier="S-JD", warehouse="SH", lines=lines(skus[60:63], 48),
                                  expected_date=today + dt.timedelta(days=2))
    purchasing.submit_po(session, buyer, coming.number)
    for who in ("approver2", "approver"):
        if coming.status == "pending":
            purchasing.approve_po(session, users[who], coming.number, version=coming.version)

    seller = users["sales"]
    stocked = [
        sku for sku, in session.execute(
            select(Item.sku).join(Balance, Balance.item_id == Item.id)
            .join(Location, Balance.location_id == Location.id)
            .where(Location.code.like("SH-A-%"), Item.tracking == "none", Balance.qty - Balance.reserved >= 10)
            .group_by(Item.sku).order_by(Item.sku)
        ).all()
    ]
    order = sales.create_so(session, seller, customer="C-HM", warehouse="SH",
                            lines=[purchasing.LineIn(sku=sku, qty=Decimal(rng.randint(2, 6))) for sku in stocked[:3]])
    sales.confirm_so(session, seller, order.number)
    sales.create_so(session, seller, customer="C-BG", warehouse="SH", lines=[purchasing.LineIn(sku=sku, qty=Decimal(2)) for sku in stocked[3:5]],
                    note="待客户确认 awaiting the customer")
    quote = sales.create_quote(session, seller, customer="C-KD", warehouse="SH",
                               lines=[purchasing.LineIn(sku=sku, qty=Decimal(12)) for sku in stocked[5:8]], valid_until=today + dt.timedelta(days=14))
    sales.send_quote(session, seller, quote.number)


def _lot_exists(session: Session, sku: str, code: str) -> bool:
    from server.catalog.models import Item, Lot

    return session.scalar(select(Lot.id).join(Item, Lot.item_id == Item.id).where(Item.sku == sku, Lot.code == code)) is not None
