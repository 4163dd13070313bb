"""What the demo company sells and who writes to it: LED lighting, and buyers from the countries
a Shenzhen lighting exporter really hears from. Plain data and a few pure helpers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Product:
    name: str
    unit: str
    price_usd: tuple[float, float]  # FOB Shenzhen, per unit
    quantities: tuple[str, ...]


PRODUCTS = (
    Product("LED panel light 600x600 40W", "pcs", (4.5, 9.0), ("200 pcs", "500 pcs", "1,000 pcs", "2,000 pcs")),
    Product("LED high bay light 150W UFO", "pcs", (18.0, 35.0), ("50 pcs", "100 pcs", "300 pcs", "500 pcs")),
    Product("LED flood light 100W IP66", "pcs", (9.0, 22.0), ("100 pcs", "300 pcs", "500 pcs", "1,000 pcs")),
    Product("LED street light 120W", "pcs", (28.0, 60.0), ("50 pcs", "120 pcs", "300 pcs", "800 pcs")),
    Product("Solar street light 60W all-in-one", "sets", (35.0, 80.0), ("30 sets", "100 sets", "200 sets", "500 sets")),
    Product("LED strip 5050 12V 60LED/m", "rolls", (2.2, 5.5), ("500 rolls", "1,000 rolls", "3,000 rolls")),
    Product("LED T8 tube 18W 1200mm", "pcs", (1.2, 2.5), ("1,000 pcs", "5,000 pcs", "1x20GP container")),
    Product("LED downlight 12W recessed", "pcs", (1.8, 4.0), ("500 pcs", "1,000 pcs", "3,000 pcs")),
    Product("LED track light 30W COB", "pcs", (5.0, 12.0), ("100 pcs", "300 pcs", "1,000 pcs")),
    Product("LED bulb A60 9W E27", "pcs", (0.35, 0.9), ("5,000 pcs", "10,000 pcs", "1x40HQ container")),
    Product("Linear high bay 200W", "pcs", (30.0, 55.0), ("40 pcs", "100 pcs", "250 pcs")),
    Product("Tri-proof light 40W IP65", "pcs", (6.0, 14.0), ("200 pcs", "500 pcs", "1,000 pcs")),
    Product("LED grow light 600W full spectrum", "pcs", (120.0, 260.0), ("10 pcs", "30 pcs", "100 pcs")),
    Product("Rechargeable emergency bulb 15W", "pcs", (1.5, 3.2), ("2,000 pcs", "5,000 pcs", "1x20GP container")),
    Product("GU10 COB spotlight 5W", "pcs", (0.6, 1.5), ("2,000 pcs", "5,000 pcs", "10,000 pcs")),
    Product("LED stadium light 500W", "pcs", (150.0, 320.0), ("8 pcs", "24 pcs", "60 pcs")),
)

EXTRAS = (
    "DALI dimming",
    "a 5-year warranty",
    "Meanwell drivers",
    "3000K and 6500K options",
    "UL and DLC listing",
    "our logo on the box",
    "IK10 housing",
    "0-10V dimming",
    "a photocell sensor",
)

BUSINESSES = (
    "lighting distributor",
    "electrical contractor",
    "wholesaler of LED lighting",
    "solar project company",
    "hardware store chain",
    "lighting project contractor",
    "importer of electrical products",
)

# code: (English name, naming region, company suffix, port)
COUNTRIES = {
    "US": ("the United States", "en", "LLC", "Los Angeles"),
    "CA": ("Canada", "en", "Inc.", "Vancouver"),
    "GB": ("the United Kingdom", "en", "Ltd", "Felixstowe"),
    "IE": ("Ireland", "en", "Ltd", "Dublin"),
    "AU": ("Australia", "en", "Pty Ltd", "Sydney"),
    "NZ": ("New Zealand", "en", "Ltd", "Auckland"),
    "ZA": ("South Africa", "en", "(Pty) Ltd", "Durban"),
    "DE": ("Germany", "de", "GmbH", "Hamburg"),
    "NL": ("the Netherlands", "de", "B.V.", "Rotterdam"),
    "PL": ("Poland", "de", "Sp. z o.o.", "Gdansk"),
    "FR": ("France", "fr", "SARL", "Le Havre"),
    "IT": ("Italy", "fr", "S.r.l.", "Genoa"),
    "ES": ("Spain", "fr", "S.L.", "Valencia"),
    "MX": ("Mexico", "latam", "S.A. de C.V.", "Manzanillo"),
    "BR": ("Brazil", "latam", "Ltda", "Santos"),
    "CL": ("Chile", "latam", "SpA", "San Antonio"),
    "CO": ("Colombia", "latam", "S.A.S.", "Buenaventura"),
    "PE": ("Peru", "latam", "S.A.C.", "Callao"),
    "AE": ("the United Arab Emirates", "mena", "Trading LLC", "Jebel Ali"),
    "SA": ("Saudi Arabia", "mena", "Est.", "Dammam"),
    "EG": ("Egypt", "mena", "Co.", "Alexandria"),
    "MA": ("Morocco", "mena", "SARL", "Casablanca"),
    "TR": ("Turkey", "mena", "Ltd. Sti.", "Istanbul"),
    "IL": ("Israel", "mena", "Ltd", "Haifa"),
    "NG": ("Nigeria", "africa", "Nig. Ltd", "Lagos"),
    "KE": ("Kenya", "africa", "Ltd", "Mombasa"),
    "GH": ("Ghana", "africa", "Ltd", "Tema"),
    "IN": ("India", "southasia", "Pvt. Ltd", "Nhava Sheva"),
    "PK": ("Pakistan", "southasia", "(Pvt) Ltd", "Karachi"),
    "BD": ("Bangladesh", "southasia", "Ltd", "Chittagong"),
    "VN": ("Vietnam", "seasia", "Co., Ltd", "Ho Chi Minh City"),
    "TH": ("Thailand", "seasia", "Co., Ltd", "Laem Chabang"),
    "MY": ("Malaysia", "seasia", "Sdn Bhd", "Port Klang"),
    "PH": ("the Philippines", "seasia", "Inc.", "Manila"),
    "ID": ("Indonesia", "seasia", "PT", "Jakarta"),
    "RU": ("Russia", "ru", "LLC", "Saint Petersburg"),
    "KZ": ("Kazakhstan", "ru", "LLP", "Almaty"),
}

COUNTRY_WEIGHTS = {
    "US": 12, "CA": 3, "GB": 5, "IE": 1, "AU": 4, "NZ": 1, "ZA": 3, "DE": 6, "NL": 3, "PL": 3,
    "FR": 3, "IT": 3, "ES": 4, "MX": 5, "BR": 5, "CL": 3, "CO": 3, "PE": 2, "AE": 4, "SA": 4,
    "EG": 2, "MA": 2, "TR": 3, "IL": 2, "NG": 4, "KE": 3, "GH": 2, "IN": 4, "PK": 3, "BD": 2,
    "VN": 2, "TH": 2, "MY": 2, "PH": 3, "ID": 2, "RU": 3, "KZ": 1,
}  # fmt: skip

NAMES = {
    "en": (
        ("James", "Michael", "David", "Sarah", "Emily", "Daniel", "Laura", "Chris", "Andrew", "Olivia", "Thomas"),
        ("Smith", "Johnson", "Brown", "Miller", "Wilson", "Taylor", "Anderson", "Clark", "Walker", "Harris"),
    ),
    "de": (
        ("Lukas", "Jonas", "Anna", "Julia", "Felix", "Sophie", "Jan", "Piotr", "Katarzyna", "Tomasz", "Daan"),
        ("Schmidt", "Schneider", "Fischer", "Weber", "Becker", "de Vries", "Jansen", "Kowalski", "Nowak"),
    ),
    "fr": (
        ("Pierre", "Marie", "Luca", "Giulia", "Marco", "Carlos", "Javier", "Lucia", "Antoine", "Elena"),
        ("Dubois", "Martin", "Rossi", "Bianchi", "Ferrari", "Garcia", "Fernandez", "Lopez", "Moreau", "Romano"),
    ),
    "latam": (
        ("Juan", "Jose", "Luis", "Ana", "Maria", "Diego", "Rafael", "Camila", "Gabriel", "Fernanda"),
        ("Hernandez", "Gonzalez", "Rodriguez", "Silva", "Santos", "Oliveira", "Ramirez", "Torres", "Flores"),
    ),
    "mena": (
        ("Ahmed", "Mohammed", "Omar", "Khalid", "Fatima", "Yusuf", "Hassan", "Layla", "Mehmet", "Emre"),
        ("Al-Mansouri", "Haddad", "Khan", "Yilmaz", "Demir", "Saleh", "Nasser", "Aziz", "Farouk"),
    ),
    "africa": (
        ("Chinedu", "Emeka", "Oluwaseun", "Amina", "Kwame", "Grace", "Samuel", "Joseph", "Wanjiru"),
        ("Okafor", "Adeyemi", "Mensah", "Ochieng", "Kamau", "Okonkwo", "Nwosu", "Boateng"),
    ),
    "southasia": (
        ("Rahul", "Amit", "Priya", "Sandeep", "Imran", "Ali", "Farhan", "Vikram", "Anjali"),
        ("Sharma", "Patel", "Gupta", "Singh", "Hossain", "Rahman", "Iqbal", "Verma"),
    ),
    "seasia": (
        ("Minh", "Somchai", "Ahmad", "Siti", "Mark", "Budi", "Thanh", "Maria", "Wei Ming"),
        ("Nguyen", "Tran", "Wongsa", "Abdullah", "Santos", "Reyes", "Wijaya", "Tan", "Lim"),
    ),
    "ru": (
        ("Alexei", "Dmitry", "Sergey", "Olga", "Natalia", "Ivan", "Andrei", "Yulia"),
        ("Ivanov", "Petrov", "Smirnov", "Kuznetsov", "Volkov", "Popov", "Sokolov"),
    ),
}

COMPANY_WORDS = ("Bright", "Sun", "Star", "Nova", "Lumen", "Prime", "Green", "Golden", "Eagle", "Delta", "Apex")
COMPANY_KINDS = (
    "Lighting",
    "Electric",
    "Electrical Supplies",
    "Trading",
    "Lighting Solutions",
    "Energy",
    "Engineering",
    "Import & Export",
)

EURO = {"DE", "NL", "FR", "IT", "ES", "IE"}
EUR_PER_USD = Decimal("0.92")


@dataclass(frozen=True)
class Buyer:
    name: str
    company: str
    email: str
    country: str


def buyer_make(rng: random.Random) -> Buyer:
    """A plausible foreign buyer; e-mail addresses are on the reserved .example domain."""
    country = rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()))[0]
    _name, region, suffix, _port = COUNTRIES[country]
    firsts, lasts = NAMES[region]
    first, last = rng.choice(firsts), rng.choice(lasts)
    if rng.random() < 0.5:
        company = f"{last} {rng.choice(COMPANY_KINDS)}"
    else:
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
    company = f"{suffix} {company}" if suffix == "PT" else f"{company} {suffix}"  # PT Maju Lighting
    slug = "".join(ch for ch in company.split(" ")[0].lower() if ch.isalnum()) + rng.choice(
        ("lighting", "electric", "trade", "group", "led")
    )
    local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
    return Buyer(f"{first} {last}", company, f"{local}@{slug}.example", country)


@dataclass(frozen=True)
class Message:
    subject: str
    message: str
    product: str
    quantity: str


def message_write(rng: random.Random, *, nature: str, source: str, buyer: Buyer, product: Product) -> Message:
    """What the buyer wrote; poor inquiries read poor, so that a flag can be judged on the text."""
    country, _region, _suffix, port = COUNTRIES[buyer.country]
    qty = rng.choice(product.quantities)
    if nature == "vague":
        text = rng.choice(("Hi", "Price?", "Please send catalog.", "I want this product. How much?", "Interested."))
        return Message(f"Inquiry about {product.name}", text, product.name, "")
    if nature == "wrong_customer":
        text = rng.choice(
            (
                "Hello, I am a student writing my thesis about LED lighting. Can you send me information?",
                "I need 1 piece for my house. Can you ship it by DHL to my home address?",
                f"We are an LED factory too and look for agents in {country}. Are you interested in cooperation?",
            )
        )
        return Message(f"About your {product.name}", text, product.name, "1 pc" if "1 piece" in text else "")
    if nature == "spam":
        text = rng.choice(
            (
                "We provide SEO services to rank your website on the first page of Google. Reply for a free audit.",
                "Dear Sir, your company was selected for our B2B directory verification. Click the link to confirm.",
                "Cheapest door-to-door shipping agent from China to anywhere. Contact us on WhatsApp.",
            )
        )
        return Message("Business cooperation", text, "", "")
    if source == "tm":
        text = rng.choice(
            (
                f"hi, price for {product.name}? need {qty}",
                f"MOQ for {product.name}? We need {qty} to {port}.",
                f"hello, do you have {product.name} in stock? {qty}, CE needed",
            )
        )
        return Message(f"TradeManager: {product.name}", text, product.name, qty)
    extra = rng.choice(EXTRAS)
    business = rng.choice(BUSINESSES)
    text = rng.choice(
        (
            f"Hello, we are a {business} in {country}. We need {qty} of {product.name}. Please quote your best "
            "FOB Shenzhen price, MOQ and delivery time. CE and RoHS certificates are required.",
            f"Dear supplier, I am interested in your {product.name}. Quantity: {qty}. Can you send the "
            "specifications, price list and warranty terms? Our project starts next month.",
            f"Hi, please send me the price for {qty} {product.name} with {extra}. Shipping to {port} by sea. Thanks.",
            f"We are looking for a long-term supplier of {product.name} for our customers in {country}. "
            f"First order {qty}. Do you accept Trade Assurance?",
        )
    )
    subject = rng.choice(
        (f"Inquiry about {product.name}", f"Quotation request: {qty} {product.name}", f"{product.name} for {port}")
    )
    return Message(subject, text, product.name, qty)


def order_amount(rng: random.Random, product: Product | None) -> Decimal:
    """An order's value in USD, to the cent: mostly a few thousand dollars, sometimes a container."""
    band = rng.random()
    if band < 0.6:
        low, high = 1_200, 8_000
    elif band < 0.9:
        low, high = 8_000, 25_000
    else:
        low, high = 25_000, 60_000
    if product is not None and product.price_usd[1] >= 100:
        low, high = low * 2, high * 2
    return Decimal(rng.randrange(low * 100, high * 100)).scaleb(-2)


def eur_of(amount_usd: Decimal) -> Decimal:
    return (amount_usd * EUR_PER_USD).quantize(Decimal("0.01"))
