"""Draft a config from a customer table: guess each column's role from its name and its values.

The draft is a starting point, not an answer: every guess is written with a comment saying why,
so an analyst can check it before the first run. Each column of the file appears exactly once,
either under a role or under `ignore` with the reason it was left out.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel

from ..config import Cleaning, Columns, Economics, Report, Segmentation
from ..labels import GERMAN, PERIOD_WORDS, UNIT_CODES, plain
from .cleaning import (ALL_DATE_FORMATS, CODE_SIGNS, comma_file, dot_decimals, CURRENCY, CURRENCY_CODES, FALSE_WORDS, decimal_commas, LEVELS, TRUE_WORDS, folded, levels, standing, totals_word, sum_rows, to_dates,
                       to_numbers)
from ..errors import UserError
from ..config import DELIMITER_NAMES
from .loading import UNKNOWN_WORDS, Table, is_missing, largest_sheet, read_table

# Role -> regular expression searched in the normalised column name (lowercase, accents dropped,
# letters and digits only). Names in English, German, French, Spanish, Portuguese, Dutch and Italian.
_CUSTOMER = (r"(customer|cust|client|cliente|clienti|member|user|account|kunden?|klant|kund|socio|klienta?"
             r"|musteri|顧客|会員|客户|客戶|用户|用戶|ユーザー?|고객|회원|клиент|покупатель)")
_IDWORD = r"(id|no|nr|num|number|nummer|numero|code|codigo|codice|kodu|key|ref|番号|コード|编号|編號|代码|번호|코드|номер)"
ANSWER_WORDS = ("responded", "response", "reactie", "antwort", "reponse", "respuesta", "resposta", "risposta", "reagiert",
                "arepondu", "repondu", "respondio", "respondeu", "harespondido", "risposto", "hageantwortet", "geantwortet")
NAME_PATTERNS: dict[str, str] = {
    "id": rf"^(id|identifiant|identifier|identificador|identificativo|identificatie|kennung|(unique)?{_CUSTOMER}(unique|uniq|global|master)?{_IDWORD}?|{_IDWORD}{_CUSTOMER}|n{_CUSTOMER})$",
    "campaigns": r"(cmp|campaign|kampagne|campagne|campana|campanha|campagna|活动|活動|キャンペーン|캠페인)\d+",
    "latest_campaign": r"^(response|responded|acceptedlast|acceptedlatest|lastcampaign|latestcampaign|lastresponse|y"
    r"|subscribed|antwort|reponse|respuesta|resposta|antwoord|risposta|respondio|respondeu|reagiert|arepondu|reactie"
    r"|(response|responded|respondio|respondeu|reponducampagne|reagiertkampagne|risposto|reactie|antwort|reponse"
    r"|respuesta|resposta|risposta)(to|op|auf|a|al)?(the|de|die|la|le|il)?(last|latest|laatste|letzte|derniere"
    r"|ultima|ultimo)?(campaign|campana|campanha|campagne|kampagne|campagna|promo|promotion|offer|actie|aktion"
    r"|mailing))$"
    r"|^(最近|最新|上次|最后|最後|前回|최근)(一次|の)?(营销)?(活动|活動|キャンペーン|캠페인)(响应|響應|回应|回應|反応|応答|반응|응답)$",
    # An answer to one named campaign ('reactie_voorjaarsactie', 'response_summer_sale'): earlier than the latest.
    # ... or a campaign word and its name ('Aktion_Frühjahr', 'promo_verano') over yes/no answers.
    "campaign_response": rf"^({'|'.join(ANSWER_WORDS)})(to|op|auf|a|al)?.+"
    r"|^(aktion|actie|promo|promotion|campaign|kampagne|campagne|campana|campanha|campagna|mailing)[^\d].+"
    r"|^[a-z]+(campaign|kampagne|campagne|campana|campanha|campagna|aktion|actie|mailing)$"  # 'spring_campaign'
    r"|^[a-z]+(campaign|kampagne|campagne|campana|campanha|campagna|mailing)(q[1-4]|h[12]|\d{2}|\d{4})$",  # 'upsell_campaign_q3'
    "complaints": r"complain|beschwerde|reklamation|plainte|reclamation|queja|reclamacao|klacht|reclamo|sikayet"
    r"|投诉|投訴|苦情|クレーム|불만|민원",
    "churned": r"^(churn|churned|churnflag|churnlabel|churnvalue|ischurn|ischurned|haschurned|exited|attrition|attrited"
    r"|attritionflag|cancelled|canceled|abwanderung|gekundigt|kundigung|resilie|resiliation|desabonne"
    r"|baja|abandono|cancelado|cancelada|cancelou|cancelo|desistiu|opgezegd|disdetta|disdetto|abbandono)$",
    "contact_cost": r"costcontact|contactcost|kontaktkosten|contactkosten"
    r"|(cost|kosten|cout|coste|custo|costo)(per|pro|par|por|je|pour)?(contact|kontakt|contacto|contato|contatto)"
    r"|(联系|聯繫|联络|聯絡|接触|接觸)(成本|费用|費用)|(コンタクト|接触)(単価|コスト|費用)|(연락|접촉)비용",
    "revenue_per_answer": r"^z?revenue$|revenueper(answer|response|contact)|^(ingreso|ingresos|receita|ricavo|umsatz|erlos"
    r"|revenu|opbrengst)(por|per|pro|par|je)?(respuesta|resposta|risposta|antwort|reponse|antwoord)$"
    r"|(响应|響應|回应|回應)(收入|收益)|反応(単価|収益|売上)|응답(당)?(수익|매출)",
    "spending_score": r"^(spending|spend|purchase|purchasing|buying|shopping)score",
    # 'promo' but not the 'pro Monat' (per month) of 'Webbesuche pro Monat', folded to 'webbesuchepromonat'
    "deal_purchases": r"deal|discount|promo(?!nat)|coupon|cupon|cupom|gutschein|rabatt|angebot|remise|descuento|oferta|desconto"
    r"|korting|sconto|折扣|优惠|優惠|促销|促銷|割引|クーポン|할인|쿠폰",
    "purchases": r"^num.+purchases$|.+purchases$|^purchases.+|k(a|ae)ufe$|^(anzahl)?(ein)?k(a|ae)ufe|achats|compras|aankopen"
    r"|^(num|nb|n)?(web|online|internet|app|mobile|store|shop|instore|catalog|catalogue|phone|ecommerce|marketplace)"
    r"(orders|transactions)$"
    r"|acquisti|^(nb|nombre|num)?d?(commandes|visites)(en)?(magasin|ligne|internet|web|catalogue|boutique)$"
    r"|^(网店|網店|网上|網上|线上|線上|网站|網站|目录|目錄|门店|門店|实体店|實體店|电话|電話|app|ウェブ|オンライン|カタログ"
    r"|店舗|実店舗|電話|웹|온라인|카탈로그|매장|전화)(购买|購買|購入|구매)(次数|次數|回数|件数|수|횟수)$",
    "orders": r"^(num|number|nb|n|no|nr|total|count|anzahl|nombre|numero|aantal|liczba)?(of|de|der|di)?(orders|bestellungen"
    r"|auftrage|commandes|pedidos|encomendas|bestellingen|ordini|zamowien|zamowienia|transactions|txns?|trx)"
    r"(count|number|total|anzahl)?(last\d*(days?|weeks?|months?|years?)|l\d+[mdy]|ltm|ttm|ytd|per(year|month))?$"
    r"|^(order|transaction|txn)count$|^frequency$|^siparissayisi$"
    r"|^(購入|注文|购买|購買|订单|訂單)(回数|件数|次数|數|数)$|^주문(수|횟수)$|^구매(수|횟수)$",
    # Visits of a web site or app: plain 'visits' may be to a gym or a shop (bezoeken_per_maand).
    "web_visits": r"(web|site|online|internet|app)\w*(visits|besuche|visites|visitas|bezoeken|visite|bezoek)"
    r"|(visits|besuche|visites|visitas|bezoeken|visite)\w*(web|site|online|internet|app)|sessions"
    r"|(网站|網站|网页|網頁|ウェブサイト|サイト|웹사이트)(访问|訪問|방문)",
    "spend": r"^(mnt|amount|amt)|spend|spent|ausgaben|umsatz|depense|gasto|gastos|uitgave|spesa|spese|montant|omzet"
    r"|^(purchase|order|transaction|basket|ticket)s?(amount|value|total|sum)(usd|eur|gbp|chf|cad|aud)?$"
    r"|^purchases$"  # amounts only (see _fits): a card table's PURCHASES in 10,626.40; a count is purchases
    r"|obrot|金額|金额|売上|消費額|消费额|利用額|購入額|购买额|購買額|支出額|支出|消费|구매금액|결제금액|결제액|이용금액|사용금액|매출|^totalcharges$|^(monthly|annual|yearly|subscription|membership|plan)?fees?(usd|eur|gbp|chf|cad|aud)?$"
    r"|^(tot|total|gross|net)?(rev|revenue|sales|turnover)(l?\d+[mdy]|ltm|ttm|ytd|lifetime)?$"
    r"|^(current)?(mrr|arr|monthlyrecurringrevenue|annualrecurringrevenue)(usd|eur|gbp|chf|cad|aud)?$"  # recurring revenue
    r"|^(maand|monat|monats|jaar|jahres)?(bedrag|betrag)$"  # (monthly) amount: a fee paid
    r"|^(annual|yearly|monthly|total|gross|written|jahres|monats)?(premium|premiums|pramie|pramien)(usd|eur|gbp|chf|cad|aud)?$"  # an insurer's revenue
    r"|^(cargo|cargos|importe|monto|cuota|mensualidad|mensalidade|fatura|factura|facturacion|faturamento|mensualite"
    r"|gebuhr|gebuhren|canone|fattura|fatturato|harcama|fatural?tutar)(mensual|mensuales|mensal|mensuel|mensile"
    r"|monatlich|anual|annuel|annuale|aylik|yillik|total)?(" + "|".join(c.lower() for c in CURRENCY_CODES) + ")?$",
    "income": r"income|salary|earning|wage|einkommen|gehalt|revenu(?!e)|salaire|ingreso|renda|rendimento|salario|gelir|maas"
    r"|inkomen|reddito|stipendio|年収|収入|收入|소득|연봉",
    "household": r"kid|teen|child|dependen|familysize|householdsize|famsize|kinder|kind|enfant|hijo|ninos|filho"
    r"|crianca|figli|bambini|adolesc|jugendlich|儿童|兒童|孩子|子女|青少年|子供|子ども|こども|자녀",
    "birth_year": r"^(yearbirth|yearofbirth|birthyear|yob|byear|birthyr|geburtsjahr|jahrgang|anneenaissance"
    r"|anneedenaissance|anonacimiento|anodenacimiento|anionacimiento|aniodenacimiento|anonascimento|anodenascimento|geboortejaar|annodinascita"
    r"|annonascita|出生年份|出生年|出生年度|生年|生まれ年|출생연도|출생년도)$",
    "birth_date": r"^(birthdate|dateofbirth|dob|birthday|bdate|datebirth|geburtsdatum|geburtstag|datenaissance"
    r"|datedenaissance|fechanacimiento|fechadenacimiento|datanascimento|datadenascimento|geboortedatum"
    r"|datadinascita|datanascita)$",
    "age": r"^(age|ageyears|ageinyears|ageyrs|ageinyrs|ageyr|customerage|clientage|alter|edad|idade|leeftijd|eta|etaanni|年齢|年龄|나이|연령)$",
    "gender": r"gender|^sex$|^genre$|geschlecht|^sexe$|^sexo$|^genero$|geslacht|^sesso$|^genere$|^cinsiyet$|^性別$|^性别$"
    r"|^성별$",
    # Not any card (HasCrCard is a credit card) nor any member (IsActiveMember): a loyalty or club card.
    "loyalty_card": r"loyal|(member|club|rewards?|bonus|store|customer|fidelity)card|^(is|has)?(club)?member(ship)?$"
    r"|^club|kundenkarte|fidelite|tarjeta(de)?(cliente|fidelidad)|cartao(fidelidade|cliente)|klantenkaart|tessera|fedelta",
    "signup_date": r"dtcustomer|signup|joined|join|registration|registered|regdate|customersince|membersince"
    r"|since|first(purchase|order|flight|trip|booking|stay|ride|visit|service|appointment)|enrol|startdate|datecustomer|anmeld|registrier|kundeseit|inscription|fechaalta"
    r"|fecharegistro|alta$|cadastro|inschrijf|klantsinds|iscrizione|registrazione|startdatum|begindatum"
    r"|ingangsdatum|aanmeld|fecha(de)?inicio|data(de)?inicio|data(di)?inizio|date(de)?debut|(subscription|contract)start"
    r"|vertragsbeginn|abobeginn|adesao|adhesion|adesione|dataingresso|clientedesde|klantsinds"
    r"|assinatura|iscritto|iscritta|inscrito|inscrita|abonnement|abbonamento"
    r"|^(登録|入会|加入|注册|註冊)(日|日期|日時)$|^가입일$",
    # A flight, trip, booking or stay is what a traveller buys (an airline's LAST_FLIGHT_DATE).
    "last_purchase": r"^(date)?(of)?(last|latest|mostrecent)(purchase|order|buy|visit|transaction|txn|seen|active|activity|login"
    r"|logon|signin|use|used|usage|flight|trip|booking|stay|ride|service|appointment|repair|session|class|workout)"
    r"(date|at|on|dt)?$|^letzter?(kauf"
    r"|einkauf|bestellung|auftrag|besuch)(datum)?$|^(date)?(du|de)?dernier(e)?(achat|commande|visite)$|^(fecha)?(de)?"
    r"ultim[oa](compra|pedido|visita)$|^(data)?(da|de)?ultim[oa](compra|pedido|acquisto|ordine|visita)$"
    r"|^laatste(aankoop|bestelling|order|bezoek)(datum)?$"
    r"|^(data)?ostatni(ego|ej)?(zamowienia|zakupu)$"
    r"|^(最終|最后|最後|最近)(購入|注文|购买|購買|订单|訂單|来店|利用)(日|日期|日時)?$|^마지막(구매|주문)(일)?$",
    "tenure_months": r"^(tenure|tenuremonths|tenureinmonths|monthsascustomer|customermonths|monthsasmember|membermonths"
    r"|monthsonbook|antiguedad|antiguedadmeses|antiguedadenmeses|mesescliente|anciennete|anciennetemois"
    r"|ancienneteenmois|moisclient|antiguidade|antiguidademeses|anzianita|anzianitamesi|mesicliente"
    r"|kundenseitmonaten|kundendauer|kundendauermonate|vertragsdauer|vertragsdauermonate|klantduur|klantmaanden)$",
    # Years as a customer, as insurers and banks count them: only where the name says years, since a
    # bare tenure of small numbers may count either (a bank's 0 to 10 years, a card issuer's 6 to 12 months).
    "tenure_years": r"^(tenureyears|tenureinyears|yearsascustomer|customeryears|yearsasclient|clientyears"
    r"|yearsasmember|memberyears|yearswith(us|company|bank|the(company|bank))?|customersince(in)?years"
    r"|antiguedadanos|antiguedadenanos|anoscliente|anoscomocliente|ancienneteans|ancienneteenannees"
    r"|anneesclient|anneesanciennete|antiguidadeanos|anzianitaanni|annicliente"
    r"|kundenseitjahren|kundendauerjahre|jahrekunde|klantjaren|jarenklant)$",
    "recency_days": r"recency|dayssince|lastpurchase|daysfromlast|tageseit|joursdepuis|diasdesde|recencia"
    r"|dagensinds|giornidal|^dias(desde)?(la)?ultim|^giorni(dal|dall)?ultim|^jours(depuis)?(le|la)?dernier"
    r"|^tage(seit)?(dem)?letzte"
    r"|(最近|上次|最后一次|最後一次|距上次)(购买|購買|消费|消費)(距今)?(天数|天數)|(最終|前回)(購入|注文)(から)?の?(経過)?日数"
    r"|(마지막|최근)구매(후)?(경과)?일수",
}
# Role -> words that rule a name out although the role's pattern matched: store visits are not web
# visits; days since a login, visit or call are not days since a purchase.
NOT_NAMED: dict[str, str] = {
    "web_visits": r"store|shop|winkel|filiale|laden|geschaft|magasin|boutique|tienda|loja|negozio|branch|instore",
    "recency_days": r"login|logon|visit|session|call|contact|mail|open|click|bezoek|anruf|appel|llamada|chiamata",
}
# Names of coordinates: a place, not a behaviour; left out of the features.
COORDINATE_NAME = r"^(lat|latitude|lon|lng|long|longitude|breitengrad|langengrad|latitud|longitud|geolat|geolon)$" \
    r"|latitude|longitude|breitengrad|langengrad"
# Words of a name that say "identifier" (last word, e.g. cust_no) or "some other code": numbers, not measures.
ID_WORDS = {"id", "no", "nr", "number", "nummer", "numero", "code", "codigo", "codice", "key", "ref"}
OTHER_CODE_WORDS = {"zip", "zipcode", "post", "postal", "postcode", "postalcode", "phone", "tel", "mobile",
                    "cap", "cep", "plz", "postleitzahl", "npa", "telefono", "telefone", "telefon", "telephone"}
# Words of a spend column's name that make it the total of the others (Umsatz_gesamt, MontantTotal).
TOTAL_WORDS = r"total|totaal|gesamt|summe"
# Names of a model's output kept beside the data (Kaggle's BankChurners ships two Naive Bayes columns
# computed from the churn flag): no trait of the customer, and they may leak what they predict.
MODEL_OUTPUT_NAME = r"classifier|naivebayes|prediction|predicted|^pred$|^yhat|probabilit|propensity|modelscore"
# Measures of the latest campaign's contact itself (the bank marketing table's call `duration`, and
# `campaign`, its contacts in this campaign): known only once the campaign is answered.
DURING_CAMPAIGN = r"(last)?(call|contact)?(duration|durationsec|durationsecs|seconds|talktime)|campaign|contactsthiscampaign"
# Names of free text written about a customer: never a category to profile segments by.
FREE_TEXT_NAME = r"notes?$|comments?$|remarks?$|memo$|^description$|^freetext$|bemerkung|kommentar|notiz|anmerkung" \
    r"|commentaire|remarque|comentario|observac|opmerking|commento|osservazion|uwagi"
# Names of personal data: who a customer is, never a group to profile (a segment's share of Smiths is no fact
# to publish).
PERSONAL_NAME = (r"^(customer|client|kunden|cliente)?(surname|lastname|firstname|givenname|familyname|fullname|name|nachname"
                 r"|vorname|nom|prenom|nomdefamille|apellido|apellidos|nombre|sobrenome|nome|cognome|achternaam|voornaam"
                 r"|email|emailaddress|mail|phone|phonenumber|telephone|mobile|address|street|strasse|adresse|direccion"
                 r"|endereco|indirizzo|iban|ssn|passport)$")
# Names of a membership written as a number (Channel 1 = hotels, 2 = retail; Region 1 to 3): codes, not amounts.
CODE_NAME = (r"(sales|customer|client)?(channel|region|type|class|group|segment|zone|area|cluster|tier|plan|level"
             r"|status|kind|sector|branch|store|country|state|canal|kanal|typ|tipo|categoria|category|gruppe|grupo)"
             r"(id|code|no|nr)?")
MAX_CODES = 10  # more distinct codes than this is more likely a measure
# Names that say "score", never money spent (e.g. "Spending Score (1-100)").
SCORE_NAME = r"score|rating|ranking|^rank|rank$"  # not inside a word: Ausgaben_Getränke is money spent on drinks
# Names that say "percentage or rate", never a count (Rabatt_Prozent, discount_pct, taux_remise).
RATE_NAME = r"pct|percent|prozent|pourcent|porcent|percentual|rate|ratio|share|anteil|taux|tasa|quota|taxa"

# Roles in the order they are guessed: narrow name patterns first, so that e.g. NumDealsPurchases
# becomes deal_purchases before the purchases channels are looked for.
ROLE_ORDER = [
    "id", "campaigns", "complaints", "churned", "spending_score", "contact_cost", "revenue_per_answer", "deal_purchases", "orders", "purchases",
    "web_visits", "spend", "income", "household", "birth_year", "birth_date", "age", "gender", "loyalty_card",
    "signup_date", "tenure_months", "tenure_years", "last_purchase", "recency_days",
]
LIST_ROLES = {"household"}
TENURE_ROLES = ("signup_date", "tenure_months", "tenure_years")  # one of them gives the tenure
# What is left of a purchases column's name once 'purchases' is taken off, and says no channel: PURCHASES_TRX.
NO_CHANNEL = {"total", "trx", "txn", "txns", "transactions", "count", "number", "num", "all", "frequency", "freq"}
DICT_ROLES = {"spend", "purchases", "campaigns"}

DATE_FORMATS = ALL_DATE_FORMATS  # one list for drafting, cleaning and order lines
ID_DISTINCT = 0.95  # a column named like an id is the id when this share of its rows hold distinct values
NUMERIC_SHARE = 0.95  # a column is numeric when at least this share of its present values are numbers
MAX_CATEGORIES = 50  # more distinct values than this is not a category a report can profile
MAX_LABEL = 60  # YAML keys must stay short; a label is for reading, the column name is kept in full


@dataclass(frozen=True, eq=False)
class Profile:
    """What the values of one column look like."""

    name: str
    key: str  # normalised name
    position: int
    rows: int
    missing: int
    distinct: int
    numbers: pd.Series = field(repr=False)  # present values that parse as numbers
    not_numbers: tuple[str, ...]  # examples of present values that do not
    top: tuple[str, ...]  # the 8 most frequent present values
    date_formats: tuple[str, ...]  # every candidate format that parses all present values
    distinct_rows: int = 0  # rows of the table once exact duplicate rows are dropped
    by_row: pd.Series | None = field(default=None, repr=False)  # the numbers row by row (NaN: missing or text)
    levels: tuple[str, ...] = ()  # ordered levels read as numbers ('Low', 'Average', 'High'), lowest first

    @property
    def present(self) -> int:
        return self.rows - self.missing

    @property
    def numeric(self) -> bool:
        return self.present > 0 and len(self.numbers) >= NUMERIC_SHARE * self.present

    @property
    def integer(self) -> bool:
        return self.numeric and bool((self.numbers == self.numbers.round()).all())

    @property
    def binary(self) -> bool:
        return self.numeric and len(self.numbers) == self.present and bool(self.numbers.isin([0, 1]).all())

    @property
    def flag(self) -> bool:
        """0/1 or yes/no (true/false) answers."""
        words = TRUE_WORDS | FALSE_WORDS
        answers = {v.strip().lower() for v in self.top}  # 'Sim', 'sim' and 'NÃO', 'Não' are two answers
        return self.binary or (self.present > 0 and self.distinct <= len(self.top) and 1 <= len(answers) <= 2
                               and answers <= words)

    @property
    def standing(self) -> bool:
        """Two values naming a departure and staying ('Attrited Customer', 'Existing Customer')."""
        return self.distinct == 2 and standing(pd.Series([v.strip().lower() for v in self.top[:2]])) is not None

    @property
    def constant(self) -> bool:
        return self.distinct == 1

    @property
    def unique(self) -> bool:
        """No value missing and none repeated, except in rows that are exact duplicates of another
        (a cleaning matter): could identify a customer."""
        return self.rows > 1 and self.missing == 0 and self.distinct in (self.rows, self.distinct_rows)

    @property
    def share(self) -> bool:
        """Fractions from 0 to 1 (a share of orders, a rate), not counts or amounts."""
        return self.numeric and not self.integer and self.share_between(0, 1) == 1.0

    def share_between(self, low: float, high: float) -> float:
        return float(self.numbers.between(low, high).mean()) if len(self.numbers) else 0.0


# Scripts whose letters a normalised name keeps as they are: names in Japanese, Chinese, Korean,
# Cyrillic or Greek are words of their own, not accents to drop ('顧客ID' -> '顧客id').
KEPT_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "CYRILLIC", "GREEK")


UNDECOMPOSED = str.maketrans({"ß": "ss", "ı": "i", "ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe", "ð": "d",
                              "þ": "th"})


def _id_why(p: Profile, said: str) -> str:
    """Why a column is the id, as its values show: all distinct, distinct but for exact duplicate rows,
    or repeated (rows cleaning excludes and lists)."""
    if p.distinct == p.rows:
        return f"{said} all {p.rows:,} values distinct"
    if not p.unique:
        return (f"{said} {p.distinct:,} distinct in {p.rows:,} rows: rows that repeat an id or have none are "
                "excluded by cleaning and listed with why")
    twins = p.rows - p.distinct_rows
    return (f"{said} values repeat only in {twins:,} exact duplicate row{'s' if twins != 1 else ''} (cleaning "
            f"excludes {'them' if twins != 1 else 'it'})")


def normalise(name: str) -> str:
    """'Âge' -> 'age', 'Käufe_Web' -> 'kaufeweb', 'Straße' -> 'strasse': lower case ASCII letters and
    digits, and the letters of KEPT_SCRIPTS (full-width 'ＩＤ' and half-width kana made regular first)."""
    import unicodedata

    out = []
    # Letters that no decomposition reduces to a Latin one: Turkish dotless i, Polish l, Danish o ...
    name = name.lower().translate(UNDECOMPOSED)
    for ch in unicodedata.normalize("NFKC", name).lower():
        if unicodedata.name(ch, "").startswith(KEPT_SCRIPTS) and ch.isalnum():
            out.append(ch)
        else:
            out.extend(c for c in unicodedata.normalize("NFKD", ch) if "a" <= c <= "z" or "0" <= c <= "9")
    return "".join(out)


def detect_date_formats(values: pd.Series) -> list[str]:
    """Every candidate strftime format that parses all the values, in candidate order."""
    uniques = pd.Series(pd.unique(values), dtype=object).astype(str)
    if uniques.empty or not uniques.str.contains(r"\d").all():
        return []

    def parses(fmt: str, sample: pd.Series) -> bool:
        return bool(to_dates(sample, fmt).notna().all())

    # A small sample rules most formats out cheaply before all the values are tried.
    sample = uniques.head(50)
    return [fmt for fmt in DATE_FORMATS if parses(fmt, sample) and parses(fmt, uniques)]


def profile_column(name: str, values: pd.Series, position: int = 0, distinct_rows: int = 0,
                   file_comma: bool = False) -> Profile:
    """`file_comma`: the file's other columns write decimal commas, so '32.500' is 32500 (as cleaning reads it)."""
    present = values[~is_missing(values)]
    words = levels(present)  # 'Low', 'Average', 'High': a score in words
    parsed = present.map(words).astype(float) if words else to_numbers(present, file_comma=file_comma)
    unknown = present.str.strip().str.lower().isin(UNKNOWN_WORDS)
    if unknown.any() and parsed.notna().sum() == (~unknown).sum() > 0:  # 'inconnu' among numbers: a missing one
        present, parsed = present[~unknown], parsed[~unknown]
    numbers = parsed.dropna().astype(float)
    not_numbers = tuple(pd.unique(present[parsed.isna()])[:3])
    all_numeric = len(numbers) == len(present)
    # Numbers are dates only when written as YYYYMMDD; otherwise do not try (a year is not a date).
    maybe_date = len(present) > 0 and (not all_numeric or present.str.fullmatch(r"\d{8}").all())
    return Profile(
        name=name,
        key=normalise(name),
        position=position,
        rows=len(values),
        missing=len(values) - len(present),
        distinct=present.nunique(),
        numbers=numbers.reset_index(drop=True),
        by_row=parsed.reindex(values.index).astype(float),
        not_numbers=tuple(str(v) for v in not_numbers),
        top=tuple(str(v) for v in present.value_counts().index[:8]),
        date_formats=tuple(detect_date_formats(present)) if maybe_date else (),
        distinct_rows=distinct_rows or len(values),
        levels=tuple(sorted(words, key=lambda w: (words[w], w))) if words else (),
    )


def profile_table(frame: pd.DataFrame, delimiter: str | None = None) -> list[Profile]:
    distinct_rows = len(frame.drop_duplicates())
    text = {c: frame[c].astype(str) for c in frame.columns}
    # One file, one way of writing numbers (as cleaning reads them: see cleaning.comma_file).
    file_comma = any(decimal_commas(v) for v in text.values()) or (
        comma_file(delimiter) and not any(dot_decimals(v) for v in text.values()))
    return [profile_column(str(c), text[c], i, distinct_rows, file_comma) for i, c in enumerate(frame.columns)]


# --- reading the values -------------------------------------------------------------------------------------

def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


def describe(p: Profile) -> str:
    """A short account of the values, for the comment beside a column."""
    if p.present == 0:
        return "every value missing"
    if p.binary:
        text = f"0/1, {p.numbers.mean():.0%} are 1"
    elif p.levels:
        text = "levels " + ", ".join(f"{w} {_num(LEVELS[folded(w)])}" for w in p.levels) + " (read as numbers)"
    elif p.numeric:
        kind = "integers" if p.integer else "numbers"
        low, high = p.numbers.min(), p.numbers.max()
        text = f"always {_num(low)}" if low == high else f"{kind} {_num(low)} to {_num(high)}"
    elif p.date_formats:
        text = f"dates like {p.top[0]}"
    else:
        shown = ", ".join(p.top[:3]) + (", ..." if p.distinct > 3 else "")
        text = f"{p.distinct} distinct values: {shown}"
    if p.missing:
        text += f", {p.missing} missing"
    if p.numeric and p.not_numbers:
        text += (f", WARNING: {p.present - len(p.numbers)} values are not numbers (e.g. {p.not_numbers[0]!r}; "
                 "if such a word means unknown, list it under cleaning.missing_values)")
    return text


# A code or discount used or applied: a deal taken, whatever campaign word the name holds.
USED_CODE = r"code|coupon|cupon|cupom|gutschein|discount|rabatt|descuento|desconto|remise|sconto|korting|used|applied"


def _day_month_swapped(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


# Days, counts and money: cleaning reads a negative value as a typo and makes it missing.
NOT_NEGATIVE = ("recency_days", "orders", "purchases", "web_visits", "deal_purchases", "household", "spend",
                "income", "tenure_months", "tenure_years")


# Role -> does the column's content fit the role (the name has already matched)?
def _fits(role: str, p: Profile) -> bool:
    if role in NOT_NEGATIVE and p.numeric and p.share_between(0, np.inf) < NUMERIC_SHARE:
        return False  # mostly signed values (standardised scores): a number of its own, not days or money
    if role == "id":  # a few repeated or missing ids are rows cleaning excludes and lists, not a reason to lose the id
        return p.unique or (p.rows > 1 and p.distinct >= ID_DISTINCT * p.rows)
    if role in ("campaigns", "latest_campaign", "campaign_response") and re.search(USED_CODE, p.key):
        return False  # 'Promo Code Used', 'Discount Applied': a deal the customer took, not a campaign answered
    if role in ("campaigns", "latest_campaign", "campaign_response", "complaints", "churned"):
        return p.flag or (role == "churned" and p.standing)
    if role == "deal_purchases" and p.flag:
        return True  # one yes/no answer per customer: whether they bought on deal
    if role == "contact_cost":
        return p.numeric  # usually constant, which is fine here
    if role == "revenue_per_answer":  # a plain 'revenue' that varies between customers is what they spent
        return p.numeric and (p.constant or "per" in p.key)
    if role in ("deal_purchases", "orders", "purchases", "web_visits", "household"):
        # counts; but for visits per month (an average), whole numbers: ONEOFF_PURCHASES in 17,116.10 is money
        # bought once, not a number of purchases
        return (p.numeric and not p.constant and not p.share and not re.search(RATE_NAME, p.key)
                and (role == "web_visits" or bool((p.numbers == p.numbers.round()).mean() >= NUMERIC_SHARE)))
    if role == "spend":
        amounts = p.key != "purchases" or bool((p.numbers != p.numbers.round()).mean() > 0.5)
        return p.numeric and not re.search(SCORE_NAME, p.key) and not p.constant and amounts
    if role in ("birth_date", "signup_date", "last_purchase"):
        return bool(p.date_formats)
    if role == "tenure_months":
        # A bare 'tenure' may count years (a bank's 0 to 10): it is months only when the name says so or a
        # value exceeds 30 (30 months is two and a half years; more than 30 years as a customer is rare).
        months = bool(re.search(r"month|mes|mois|monat|maand|mesi", p.key)) or (len(p.numbers) and p.numbers.max() > 30)
        return p.numeric and not p.constant and not p.date_formats and p.share_between(0, 1200) >= NUMERIC_SHARE and months
    if role == "tenure_years":
        return p.numeric and not p.constant and not p.date_formats and p.share_between(0, 100) >= NUMERIC_SHARE
    if role == "birth_year":
        return p.integer and p.share_between(1900, 2020) >= NUMERIC_SHARE
    if role == "age":
        return p.numeric and p.share_between(0, 120) >= NUMERIC_SHARE
    if role == "gender":
        return 1 < p.distinct <= 10
    if role == "loyalty_card":
        return p.flag and p.distinct > 1  # a yes/no answer: not a card number, nor a tier (Bronze, Silver, Gold)
    return p.numeric and not p.constant


# --- labels for the dictionary roles -------------------------------------------------------------------------

def _words(name: str) -> list[str]:
    """Words of a column name: 'MntMeatProducts' -> ['mnt', 'meat', 'products']; 'AcceptedCmp1', 'cust_no' too."""
    camel = r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=\D)(?=\d)|(?<=\d)(?=\D)"
    return [w.lower() for w in re.findall(r"[^\W_]+", re.sub(camel, " ", name))]


def _readable(words: list[str]) -> str:
    words = [{"prods": "products", "prod": "product", "rev": "revenue", "tot": "total"}.get(w, w) for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _without_period(words: list[str]) -> list[str]:
    kept = PERIOD_WORDS.sub(" ", " ".join(words)).split()
    return kept if kept else words


# Words of a role that CJK names write onto the category or channel, unspaced: 葡萄酒消费额 is wine spend.
CJK_SPEND = re.compile(r"(消费额|消費額|消费金额|消費金額|消费|消費|金额|金額|支出|购买额|購買額|購入額|購入金額|売上|구매금액|구매액|매출)$")
CJK_CHANNEL = re.compile(r"(购买次数|購買次數|购买|購買|購入回数|購入件数|購入|구매횟수|구매수|구매)$")


# What is left of a total's name (年間購入金額, a year's purchase amount) once the role's word is off: no category.
CJK_TOTAL = re.compile(r"(年間|年度|月間|毎月|每月|每年|年|月|累计|累計|総|总|合計|合计|总计|總計|平均)?")


def _cjk_stem(words: list[str], affix: re.Pattern) -> list[str]:
    """'葡萄酒消费额' -> '葡萄酒': the role's word taken off a word in a CJK script (the word kept whole if
    only a period or a total is left)."""
    def stem(w: str) -> str:
        rest = affix.sub("", w)
        return w if w.isascii() or CJK_TOTAL.fullmatch(rest) else rest
    return [stem(w) for w in words]


def spend_label(name: str) -> str:
    """MntWines -> Wines, MntGoldProds -> Gold products, wine_spent -> Wine, SpendOnline12m -> Online."""
    drop = {"mnt", "amount", "amt", "spend", "spending", "spent", "on", "lifetime", "ausgaben", "umsatz", "depenses",
            "depense", "gastos", "gasto", "despesas", "despesa", "en", "uitgaven", "spesa", "spese", "montant", "fur",
            "annual", "annua", "annuale", "anual", "annuel", "annuelle", "yearly",
            "de", "per"}  # compared without accents: 'Dépenses' is 'depenses', 'für' 'fur'
    # A currency code is the unit and a year the period, no part of the category: 'Cargo mensual (MXN)'
    # is Cargo mensual; 'Umsatz 2024 (EUR)', with nothing left, is Umsatz.
    words = _cjk_stem(_words(name), CJK_SPEND)
    unit = [w for w in words if w.upper() not in UNIT_CODES and not re.fullmatch(r"(19|20)\d\d", w)]
    kept = [w for w in unit if folded(w) not in drop] or (unit if len(unit) < len(words) else [])
    return _readable(_without_period(kept))


def channel_label(name: str) -> str:
    """NumWebPurchases -> Web, store_purchases -> Store; '' for a plain purchase count."""
    drop = {"num", "number", "nb", "n", "d", "l", "of", "purchases", "purchase", "orders", "transactions", "visits", "count",
            "käufe", "kaufe", "kaeufe", "einkäufe", "einkaufe", "einkaeufe", "anzahl",
            "achats", "compras", "aankopen", "acquisti", "de", "en", "per",
            # prepositions and articles: 'Compras na loja' is the loja (shop) channel, not 'na loja'
            "in", "im", "at", "on", "via", "through", "the", "na", "no", "nas", "nos", "em", "el", "la", "le", "les",
            "par", "por", "sur", "auf", "del", "des", "du", "do", "da", "dans", "nel", "nella"}
    return _readable(_without_period([w for w in _cjk_stem(_words(name), CJK_CHANNEL) if w not in drop]))


def campaign_number(p: Profile) -> int | None:
    m = re.search(r"(?:cmp|campaign|kampagne|campagne|campana|campanha|campagna|活动|活動|キャンペーン|캠페인)(\d+)", p.key)
    return int(m.group(1)) if m else None


def _unique_labels(pairs: list[tuple[str, Profile]]) -> list[tuple[str, Profile]]:
    seen: set[str] = set()
    out = []
    for label, p in pairs:
        label = (label or p.name)[:MAX_LABEL]
        base, n = label, 2
        while label in seen:
            label, n = f"{base} {n}", n + 1
        seen.add(label)
        out.append((label, p))
    return out


# --- guessing ------------------------------------------------------------------------------------------------

@dataclass
class Guess:
    """Columns by role, each with the comment that explains it."""

    scalars: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (value, why)
    lists: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # role -> [(column, why)]
    dicts: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # role -> [(label, column, why)]
    notes: list[str] = field(default_factory=list)  # what could not be decided


def _matching(role: str, free: list[Profile]) -> list[Profile]:
    return [p for p in free if re.search(NAME_PATTERNS[role], p.key) and _fits(role, p)
            and not (role in NOT_NAMED and re.search(NOT_NAMED[role], p.key))]


def _campaign_label(p: Profile) -> str:
    """'reactie_voorjaarsactie' -> 'Voorjaarsactie': the name without its answer word."""
    import unicodedata

    name = unicodedata.normalize("NFC", p.name.strip())
    # Matched without accents ('A répondu à l'offre'): one letter for one, so the cut falls where it would.
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    answer = "|".join(ANSWER_WORDS + ("repondu", "respondido", "geantwortet"))
    m = re.match(rf"((a|ha|hat)[\s_\-]+)?({answer})[\s_\-]*((to|op|auf|a|al)[\s_\-]+)?(l'|l’)?", bare, flags=re.IGNORECASE)
    rest = name[m.end():] if m and len(bare) == len(name) else name
    return plain(rest) if re.search(r"[^\W\d_]", rest) else p.name


def _named_like_id(p: Profile) -> bool:
    words = _words(p.name)
    return bool(words) and words[-1] in ID_WORDS and not OTHER_CODE_WORDS & set(words)


def _named_like_code(p: Profile) -> bool:
    return _named_like_id(p) or bool(OTHER_CODE_WORDS & set(_words(p.name)))


def _dict_entries(
    role: str, found: list[Profile], free: list[Profile]
) -> tuple[list[tuple[str, Profile]], list[tuple[Profile, str]]]:
    """(label, column) pairs for a dictionary role, and columns that matched but are left out, with why."""
    if role == "campaigns":
        latest = [p for p in _matching("latest_campaign", free) if p not in found][:1]
        numbered = sorted(found, key=lambda p: (campaign_number(p), p.position))
        # Answers to named campaigns, in the file's order, before the latest.
        named = [p for p in _matching("campaign_response", free) if p not in found and p not in latest]
        pairs = ([(f"Campaign {campaign_number(p)}", p) for p in numbered] + [(_campaign_label(p), p) for p in named]
                 + [("Latest campaign", p) for p in latest])
        return _unique_labels(pairs), []
    if role == "purchases":
        # A count with no channel in its name (NumPurchases, TotalPurchases) is not a channel.
        pairs = [(lab, p) for lab, p in ((channel_label(p.name), p) for p in found) if lab and lab.lower() not in NO_CHANNEL]
        # One channel's count alone ('Nb d'achats en ligne') is no total of purchases: spend per purchase
        # would divide by the online ones only, and the share of that channel would always be 100%. It is
        # a number like any other.
        return (_unique_labels(pairs) if len(pairs) > 1 else []), []
    # spend: a total next to the categories would count the money twice
    totals = [p for p in found if re.search(TOTAL_WORDS, p.key)]
    if totals and len(totals) < len(found):
        parts = [p for p in found if p not in totals]
        if len(totals) == 1 and not _adds_up(parts, totals[0]):  # the parts are some categories, not all
            return [("Total", totals[0])], [
                (p, f"a part of {totals[0].name}, whose categories do not add up to it: the total is the spend")
                for p in parts]
        return _unique_labels([(spend_label(p.name), p) for p in parts]), [
            (p, "looks like the total of the spend columns; counting it too would count the money twice")
            for p in totals
        ]
    return _unique_labels([(spend_label(p.name), p) for p in found]), []


def _adds_up(parts: list[Profile], total: Profile) -> bool:
    """The parts sum to the total (within 1%) on at least 95% of the rows where all are numbers."""
    if total.by_row is None or any(p.by_row is None for p in parts):
        return True
    both = sum(p.by_row for p in parts)
    rows = both.notna() & total.by_row.notna()
    if not rows.any():
        return True
    gap = (both[rows] - total.by_row[rows]).abs() <= 0.01 * total.by_row[rows].abs() + 0.01
    return bool(gap.mean() >= 0.95)


def _date_comment(p: Profile) -> str:
    # Only another order of day and month is ambiguous: '%H:%M:%S' and '%H:%M:%S%z' read the same dates.
    order = lambda fmt: re.findall(r"%[dmYy]", fmt)  # noqa: E731
    others = [f for f in p.date_formats[1:] if order(f) != order(p.date_formats[0])]
    if others:
        return f"AMBIGUOUS: every value also parses as {', '.join(others)}; check day/month order"
    return f"detected: all {p.present} values parse"


def _fallback_id(free: list[Profile]) -> Profile | None:
    """An unnamed id: all values distinct, integers or codes without spaces (a UUID's 36 characters,
    a SHA-1's 40), first column or named like a code."""
    for p in free:
        code_like = not p.numeric and p.top and all(re.fullmatch(r"[\w\-]{1,40}", v) for v in p.top[:3])
        if p.unique and (p.integer or code_like) and (p.position == 0 or _named_like_id(p)):
            return p
    return None


def _leftover(p: Profile) -> tuple[str, str]:
    """Role ('numeric', 'categorical' or 'ignore') and why, for a column no named role took."""
    if p.present == 0:
        return "ignore", "every value is missing"
    if p.constant:
        return "ignore", f"constant: always {p.top[0]!r}, says nothing about a customer"
    if re.search(NAME_PATTERNS["id"], p.key):
        return "ignore", f"named like an id but values repeat or are missing ({p.distinct} distinct in {p.rows} rows)"
    if re.search(PERSONAL_NAME, p.key):
        return "ignore", "personal data (a name, address or contact): left out of the report"
    if re.search(MODEL_OUTPUT_NAME, p.key):
        return "ignore", ("a model's output (a prediction or classifier score), not something the customer did or is; "
                          "it may hold the answer it predicts: left out")
    if p.date_formats and (not p.numeric or "date" in p.key):
        return "ignore", f"dates ({p.date_formats[0]}); not named like a signup or birth date"
    if p.numeric and _named_like_code(p):
        return "ignore", f"numbers named like a code or id, not a measure ({describe(p)})"
    if p.numeric and re.fullmatch(r"day|dayofmonth|dom", p.key) and p.integer and p.share_between(1, 31) == 1.0:
        return "ignore", f"a day of the month ({describe(p)}): says when something happened, not who the customer is"
    if p.numeric and re.search(COORDINATE_NAME, p.key) and p.share_between(-180, 180) == 1.0:
        return "ignore", f"coordinates ({describe(p)}): a place, not a behaviour; left out of the segments"
    if p.numeric and p.key in ("x", "y", "lat", "lon") and p.share_between(-180, 180) == 1.0:
        return "ignore", f"looks like a coordinate ({describe(p)}); left out"
    if p.integer and p.distinct <= MAX_CODES and re.fullmatch(CODE_NAME, p.key):
        return "categorical", describe(p) + "; numbers that code a group, profiled per segment, not a measure"
    if p.binary:
        # Standardised, a yes/no answer's two values lie 2 or more standard deviations apart: it would
        # split every group it crosses into segments of its own. It is described per segment instead.
        return "categorical", describe(p) + "; a yes/no answer, profiled per segment rather than clustered"
    if p.numeric:
        return "numeric", describe(p) + (" (a share from 0 to 1)" if p.share else "")
    if len(p.numbers) >= 0.5 * p.present:
        return "ignore", f"mixed: {p.present - len(p.numbers)} values are not numbers (e.g. {p.not_numbers[0]!r})"
    if re.search(FREE_TEXT_NAME, p.key):
        return "ignore", f"free text ({describe(p)}): notes describe one customer, not a group"
    # A category is shared: on average two customers or more per value among those that have one (a
    # column of notes written on a few rows is as distinct as its rows, however many rows are empty).
    if p.distinct <= MAX_CATEGORIES and p.distinct < p.present / 2:
        return "categorical", describe(p)
    filled = f"{p.present} filled rows of {p.rows}" if p.present < p.rows else f"{p.rows} rows"
    return "ignore", f"text with {p.distinct} distinct values in {filled} (free text or an identifier)"


# Product categories as names of amounts (the Wholesale customers table's Fresh, Milk, Grocery, Frozen,
# Detergents_Paper, Delicassen): several such columns of money, and no other spend, are the spend per category.
GOODS_NAME = (r"^(fresh|milk|dairy|grocer|frozen|detergent|delicass|delicatess|deli|meat|fish|seafood|wine|fruit"
              r"|vegetable|produce|bakery|bread|beverage|drink|snack|sweet|candy|confection|household|toiletr|cosmetic"
              r"|beauty|cloth|apparel|shoe|footwear|electronic|toy|book|garden|furniture|jewel|pharma|alcohol|beer"
              r"|spirit|tobacco|coffee|tea)")
MIN_GOODS = 3


def _spend_on_goods(p: Profile) -> bool:
    """A column named like a product category whose values are amounts: none negative, at least one
    in the hundreds (a count of bottles is no spend), not a yes/no answer."""
    return (p.numeric and not p.binary and not p.share and re.match(GOODS_NAME, p.key) is not None
            and len(p.numbers) > 0 and float(p.numbers.min()) >= 0 and float(p.numbers.max()) >= 100)


def guess_roles(profiles: list[Profile]) -> Guess:
    """Give each column at most one role; every column ends up somewhere, `ignore` at worst."""
    guess = Guess()
    free = list(profiles)
    ignored: list[tuple[str, str]] = []

    def take(p: Profile) -> None:
        free.remove(p)

    for role in ROLE_ORDER:
        found = _matching(role, free)
        if role in DICT_ROLES:
            pairs, left_out = _dict_entries(role, found, free)
            if pairs:
                guess.dicts[role] = [(label, p.name, describe(p)) for label, p in pairs]
            for _, p in pairs:
                take(p)
            for p, why in left_out:
                ignored.append((p.name, why))
                take(p)
        elif role in LIST_ROLES:
            if found:
                guess.lists[role] = [(p.name, describe(p)) for p in found]
            for p in found:
                take(p)
        elif found and not (role in TENURE_ROLES and set(TENURE_ROLES) & set(guess.scalars)):  # one tenure
            p = found[0]
            why = describe(p) if role != "id" else _id_why(p, "named like an id;")
            guess.scalars[role] = (p.name, why)
            if role in ("signup_date", "birth_date", "last_purchase"):
                guess.scalars[f"{role}_format"] = (p.date_formats[0], _date_comment(p))
            take(p)

    if "id" not in guess.scalars and (p := _fallback_id(free)) is not None:
        guess.scalars["id"] = (p.name, _id_why(p, "no id-like name, but") + "; check")
        guess.notes.append(f"id: {p.name!r} taken as the customer id from its values only (no id-like name)")
        take(p)
    if "id" not in guess.scalars:
        from .drafting_orders import NAMES as LINE_NAMES  # (imports this module)
        # Order lines read as a customer table: a customer, an order and a quantity or product column.
        roles = {r: c for r in ("customer", "order", "quantity", "product")
                 if (c := next((p.name for p in profiles if re.match(LINE_NAMES[r], normalise(p.name))), None))}
        lines = ("; its columns look like order lines (" + ", ".join(f"{r} {c!r}" for r, c in roles.items())
                 + "): draft with segments init --transactions instead") if {"customer", "order"} <= set(roles) and (
            {"quantity", "product"} & set(roles)) else ""
        guess.notes.append("id: no column identifies a customer; rows are numbered, so results cannot be joined "
                           "back to customers" + lines)
    for p in profiles:
        # Only a format with day and month swapped is another reading (dates written as date cells
        # read as text with or without a zone too, the same dates).
        swapped = [f for f in p.date_formats[1:] if f == _day_month_swapped(p.date_formats[0])]
        if swapped and any(guess.scalars.get(r, ("",))[0] == p.name for r in ("signup_date", "birth_date", "last_purchase")):
            guess.notes.append(f"{p.name!r}: day and month order undecided (also {swapped[0]})")

    if "spend" not in guess.dicts and "spend" not in guess.scalars:
        goods = [p for p in free if _spend_on_goods(p)]
        if len(goods) >= MIN_GOODS:  # the Wholesale table: Fresh, Milk, Grocery ... in money per year
            guess.dicts["spend"] = [(label, p.name, describe(p) + "; named like a product category: the spend on it")
                                    for label, p in _unique_labels([(spend_label(p.name), p) for p in goods])]
            for p in goods:
                take(p)

    answered = bool(guess.dicts.get("campaigns"))
    for p in free:
        role, why = _leftover(p)
        if answered and p.numeric and re.fullmatch(DURING_CAMPAIGN, p.key):
            role, why = "ignore", (f"{describe(p)}; the latest campaign's call or contacts, measured with its answer: "
                                   "they would give the answer away to the response model and are not known "
                                   "before the next campaign; left out")
        if why.startswith("mixed"):
            guess.notes.append(f"{p.name!r}: {why}; set its role by hand if it is a measure")
        if role == "ignore":
            ignored.append((p.name, why))
        else:
            guess.lists.setdefault(role, []).append((p.name, why))
    order = {p.name: p.position for p in profiles}
    if ignored:
        guess.lists["ignore"] = sorted(ignored, key=lambda item: order[item[0]])
    return guess


# --- writing YAML --------------------------------------------------------------------------------------------

# Characters YAML does not allow raw, or reads as line breaks, inside a quoted value or a comment.
_YAML_UNSAFE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def quote(value: str) -> str:
    """The value as YAML: plain when it is an identifier YAML reads back unchanged, else double-quoted."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) and yaml.safe_load(value) == value:
        return value
    text = json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar...
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # ...once these are escaped


def _comment(text: str) -> str:
    return "  # " + " ".join(_YAML_UNSAFE.sub("?", str(text)).split())


def _scalar(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return quote(str(value))


def _columns_section(guess: Guess) -> list[str]:
    lines = ["columns:"]
    for role in Columns.model_fields:
        if role == "units":
            continue  # made from order lines without prices, never found in a customer table
        if role in guess.scalars:
            value, why = guess.scalars[role]
            lines.append(f"  {role}: {quote(value)}{_comment(why)}")
        elif guess.lists.get(role):
            lines.append(f"  {role}:{_comment(Columns.model_fields[role].description)}")
            lines += [f"    - {quote(col)}{_comment(why)}" for col, why in guess.lists[role]]
        elif guess.dicts.get(role):
            lines.append(f"  {role}:{_comment(Columns.model_fields[role].description)}")
            lines += [f"    {quote(label)}: {quote(col)}{_comment(why)}" for label, col, why in guess.dicts[role]]
        elif role.endswith("_format"):
            lines.append(f"  # {role}:  # set it with {role.removesuffix('_format')}")
        else:
            empty = {"ignore": "every column has a role", "numeric": "no other numeric columns",
                     "categorical": "no other columns with few distinct values"}.get(role, "no column found")
            lines.append(f"  # {role}:  # {empty}")
    return lines


def _model_section(name: str, model: type[BaseModel], overrides: dict | None = None, note: str = "") -> list[str]:
    """A config section with the schema's defaults; keys without a default are written commented out."""
    overrides = overrides or {}
    body = []
    for key, info in model.model_fields.items():
        value = overrides.get(key, info.get_default(call_default_factory=True))
        why = _comment(info.description) if info.description else ""
        body.append(f"  # {key}:{why}" if value is None else f"  {key}: {_scalar(value)}{why}")
    header = f"{name}:{_comment(note) if note else ''}"
    if all(line.startswith("  #") for line in body):
        return [f"# {header}"] + ["#   " + line[4:] for line in body]
    return [header] + body


def _config_path(path: Path, config_dir: Path | None) -> str:
    """The table's path relative to the config's folder when it lies under it, else absolute (also
    when the config's folder is unknown: a path relative to some other folder would not be found)."""
    absolute = path.resolve()
    if config_dir is None:
        return str(absolute)
    base = Path(config_dir).resolve()
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return str(absolute)


def _title(path: Path) -> str:
    stem = re.sub(r"[_\-\s]+", " ", path.name.split(".")[0]).strip()
    return f"Customer segments: {stem[:1].upper() + stem[1:]}" if stem else "Customer segments"


# Signs and codes read beside amounts; codes without a sign (CODE_SIGNS) are shown as written ('CHF 12').
_SIGN = CURRENCY
CODES = set(CURRENCY_CODES)


MIN_SIGNS = 3  # amounts written with a currency sign that name it, when all of them write the same one


def currency_of(prices: pd.Series) -> str | None:
    """The currency sign or code written before or after most of these amounts ('4,90 €', '$12.50',
    'R$ 1.234,56', '12.00 EUR'), or alone (a currency column), if any: as the report shows it."""
    text = prices[~is_missing(prices)].astype(str).str.strip()
    if not len(text):
        return None
    found = text.str.extract(rf"^({_SIGN})(?![A-Za-z])|(?<![A-Za-z])({_SIGN})$")
    signs = found[0].fillna(found[1]).dropna()  # before the amount, else after it
    # Most amounts carry one; or a few do, all the same sign (an export that writes '€' on some cells only).
    if len(signs) < 0.5 * len(text) and not (signs.nunique() == 1 and len(signs) >= MIN_SIGNS):
        return None
    sign = str(signs.value_counts().index[0])
    return _placed(CODE_SIGNS.get(sign, sign))


# Signs written after the amount where they are used (12 zł, 12 Kč, 12 Ft, 12 lei, 12 kr): the
# report puts a currency that starts with a space after its amounts (formatters.money).
AFTER_AMOUNT = ("zł", "Kč", "Ft", "lei", "kr")


def _placed(shown: str) -> str:
    """The currency as the config writes it: ' zł' (after amounts), 'CHF ' (before, spaced), '$'."""
    if shown in AFTER_AMOUNT:
        return " " + shown
    return f"{shown} " if shown[-1].isalpha() else shown  # CHF 12


def currency_in_names(names: list[str]) -> str | None:
    """The one currency sign or code the money columns' names carry ('Dépenses épicerie (€)',
    'Revenue_EUR'), if they carry one and no other."""
    # Codes in any case as names write them (monthly_fee_usd), never inside a word.
    found = {m.upper() if m.upper() in CODES else m
             for n in names for m in re.findall(rf"(?<![A-Za-z])({_SIGN}|{'|'.join(c.lower() for c in CODES)})(?![A-Za-z])", str(n))}
    if len(found) != 1:
        return None
    sign = found.pop()
    return _placed(CODE_SIGNS.get(sign, sign))


# Where no sign or code is written anywhere, the language of the column names implies a currency:
# the euro for German, French, Italian and Dutch, the złoty for Polish, the yen for Japanese and
# Chinese, the won for Korean. Spanish, Portuguese and English are written in many currencies: no guess.
LANGUAGE_WORDS = {
    "German": frozenset(GERMAN),
    "French": frozenset({"depenses", "montant", "commande", "commandes", "prix", "unitaire", "quantite", "derniere",
                         "dernier", "nombre", "facture", "ville", "anciennete", "revenu", "revenus", "magasin", "achats",
                         "achat", "designation", "depuis", "panier"}),
    "Italian": frozenset({"ordine", "ordini", "prezzo", "quantita", "acquisti", "acquisto", "spesa", "importo", "citta",
                          "prodotto", "fatturato", "negozio", "unitario", "provincia", "ultimo", "ultima"}),
    "Dutch": frozenset({"klant", "klantnummer", "aantal", "bestellingen", "bestelling", "omzet", "laatste", "geslacht",
                        "leeftijd", "woonplaats", "sinds", "nieuwsbrief", "totale", "aankopen", "uitgaven", "bedrag",
                        "prijs", "winkel", "retouren"}),
    "Polish": frozenset({"zamowienia", "zamowienie", "zamowien", "klienta", "klient", "cena", "jednostkowa", "ilosc",
                         "miasto", "wartosc", "kategoria", "produkt", "data"}),
}
LANGUAGE_CURRENCY = {"German": "€", "French": "€", "Italian": "€", "Dutch": "€", "Polish": " zł", "Japanese": "¥",
                     "Chinese": "¥", "Korean": "₩"}
MIN_LANGUAGE_WORDS = 2  # words of one language, more than of any other, that tell a table's language


def language_of(names: list[str]) -> str | None:
    """The language of a table's column names, when its words tell it (see LANGUAGE_WORDS)."""
    text = " ".join(str(n) for n in names)
    if re.search(r"[\u3040-\u30ff]", text):
        return "Japanese"
    if re.search(r"[\uac00-\ud7af]", text):
        return "Korean"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "Chinese"
    words = [normalise(w) for w in re.split(r"[^\w]+|_", text) if w]
    hits = sorted(((sum(w in vocab for w in words), lang) for lang, vocab in LANGUAGE_WORDS.items()), reverse=True)
    if hits[0][0] >= MIN_LANGUAGE_WORDS and hits[0][0] > hits[1][0]:
        return hits[0][1]
    return None


def report_section(path: Path, amounts: pd.Series | None, what: str, currency: pd.Series | None = None,
                   money_names: list[str] | None = None, names: list[str] | None = None) -> list[str]:
    """The report section: a title from the file's name, the currency of a currency column (codes
    like EUR), else the one written beside `amounts`, else the one in the money columns' names, else
    the one the language of the column `names` implies (said to be a guess)."""
    sign, where = (currency_of(currency) if currency is not None else None), "in the currency column"
    if sign is None:
        sign, where = (currency_of(amounts) if amounts is not None else None), f"beside {what}"
    named = currency_in_names(money_names) if sign is None and money_names else None
    if named:
        sign, where = named, "in the money columns' names"
    elif sign is None and names and (named := currency_in_names(names)):  # 'Panier moyen (€)' beside 'Dépenses'
        sign, where = named, "in the column names"
    language = language_of(names) if sign is None and names and amounts is not None else None
    if language:
        report = {"title": _title(path), "currency": LANGUAGE_CURRENCY[language]}
        return _model_section("report", Report, report, note=(
            f"no currency sign found beside {what}: {LANGUAGE_CURRENCY[language].strip()} guessed from the "
            f"{language} column names; check it"))
    # Without a sign in the data no currency is guessed: amounts are shown as numbers until one is set.
    report = {"title": _title(path), "currency": sign or ""}
    return _model_section("report", Report, report, note=f"currency {sign} as written {where}" if sign else
                          f"no currency sign found {where if amounts is not None else 'in the data'}: "
                          "amounts are shown without one; set the currency below to yours")


def render(table: Table, guess: Guess, config_dir: Path | None, sheets: tuple[str, ...] = ()) -> str:
    rows, cols = table.frame.shape
    parquet = table.delimiter in ("parquet", "excel")
    found = "read as Parquet" if table.delimiter == "parquet" else f"Excel sheet {sheets[0]!r}" if sheets else (
        f"delimiter {DELIMITER_NAMES.get(table.delimiter, repr(table.delimiter))} and encoding {table.encoding} detected"
    )
    lines = [
        f"# Draft config written by inspecting{_comment(table.path)[3:]}",
        f"# {rows} rows and {cols} columns; {found}"
        + (f"; the column names are on line {table.header_line}, below a title (the lines above are skipped)."
           if table.header_line > 1 else "."),
        "# Every role below is a guess from the column names and values, with the reason beside it.",
        "# Check every guess, then run: segments report --config THIS.yml",
    ]
    if guess.notes:
        lines.append("# NOT DECIDED, check these:")
        lines += [f"#   - {_comment(n)[4:]}" for n in guess.notes]
    lines += [
        "",
        "customers:",
        f"  path: {quote(_config_path(table.path, config_dir))}",
    ]
    if sheets:
        others = f" (the largest); other sheets: {', '.join(sheets[1:])}" if len(sheets) > 1 else ""
        lines.append(f"  sheet: {quote(sheets[0])}{_comment('the sheet read' + others)}")
    elif parquet:
        lines.append("  # delimiter and encoding are not used for Parquet files")
    else:
        lines.append(f"  delimiter: {quote(table.delimiter)}  # detected")
        lines.append(f"  encoding: {quote(table.encoding)}  # detected")
    lines += ["", *_columns_section(guess), ""]
    lines += _model_section("economics", Economics, note="used only when no column gives these") + [""]
    lines += _model_section("cleaning", Cleaning) + [""]
    lines += _model_section("segmentation", Segmentation) + [""]
    lines += [
        "# features: left out, so the default features are used: every feature the columns above support.",
        "",
    ]
    money = [c for _, c, _ in guess.dicts.get("spend", [])] + [guess.scalars[r][0] for r in ("income",) if r in guess.scalars]
    amounts = pd.concat([table.frame[c].astype(str) for c in money]) if money else None
    # A contact's cost and an answer's revenue are money too: their names may carry the currency.
    economics = [guess.scalars[r][0] for r in ("contact_cost", "revenue_per_answer") if r in guess.scalars]
    lines += report_section(table.path, amounts, "the amounts", money_names=money + economics,
                            names=[str(c) for c in table.frame.columns]) + [""]
    lines += _labels_section(table.frame) + [""]
    lines += ["seed: 42  # same seed and data, same segments", ""]
    return "\n".join(lines)


def _labels_section(frame: pd.DataFrame) -> list[str]:
    """Every column's readable label (units such as k$ kept), for the pages; edit any of them. A
    column of percentages ('75%', read as 75) says so in its label, since the number loses its sign;
    one of ordered levels ('Low' ... 'High', read as 1 to 3) gives its scale's ends."""
    from ..labels import plain

    def label(c) -> str:
        text = plain(str(c)) or str(c)
        values = frame[c][~is_missing(frame[c])].astype(str).str.strip()
        words = levels(values)
        if words:
            low, high = min(words, key=lambda w: (words[w], w)), max(words, key=lambda w: (words[w], w))
            return f"{text} ({_num(words[low])} = {low.lower()}, {_num(words[high])} = {high.lower()})"
        percent = len(values) and values.str.fullmatch(r"-?\d+(?:[.,]\d+)?\s*%").mean() >= 0.5
        return f"{text} (%)" if percent and "%" not in text else text

    out = ["labels:  # column -> the label pages show for it; edit freely"]
    out += [f"  {quote(str(c))}: {quote(label(c))}" for c in frame.columns]
    return out


def draft_config(customers_path: str | Path, config_dir: Path | None = None) -> str:
    """The text of a YAML config for the customer table, with every guessed role commented."""
    path = Path(customers_path)
    try:
        table = read_table(path)
        sheets: tuple[str, ...] = ()
        if table.delimiter == "excel":
            best, names = largest_sheet(path)
            sheets = (best, *(n for n in names if n != best))
            if best != names[0]:  # the first sheet is a cover or notes: the table is the largest one
                table = read_table(path, sheet=best)
    except (OSError, ValueError) as e:  # read_table reports the usual problems itself
        raise UserError(f"{path}: cannot be read ({type(e).__name__}: {' '.join(str(e).split())})") from None
    frame = table.frame
    customers = customer_rows(frame, profile_table(frame, table.delimiter))
    if not customers.all():  # a footer's blanks and sums would make the id repeat and the amounts run to the total
        frame = frame[customers]
    profiles = profile_table(frame, table.delimiter)
    guess = guess_roles(profiles)
    guess.notes.extend(undated_notes(frame, guess, profiles))
    return render(table, guess, config_dir, sheets)


DATE_ROLES = ("signup_date", "birth_date", "last_purchase")
SHEET_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of a spreadsheet's day numbers (1900 date system)
SHEET_DAYS = (7_306, 73_051)  # day numbers of 1920-01-01 and 2099-12-31: dates a customer table holds


def undated_notes(frame: pd.DataFrame, guess: Guess, profiles: list[Profile]) -> list[str]:
    """Why a column named like a date role got none: its dates are written in two ways, or they are a
    spreadsheet's day numbers (41156 for 4 September 2012). Neither is guessed into dates: a mixed
    column may read a day as a month, and day numbers may be counts."""
    notes = []
    for p in profiles:
        role = next((r for r in DATE_ROLES if re.search(NAME_PATTERNS[r], p.key)), None)
        if role is None or p.date_formats or guess.scalars.get(role, ("",))[0] == p.name or not p.present:
            continue
        key = f"columns.{role} and columns.{role}_format"
        if p.integer and SHEET_DAYS[0] <= p.numbers.min() and p.numbers.max() <= SHEET_DAYS[1]:
            first, last = (SHEET_EPOCH + pd.Timedelta(days=int(d)) for d in (p.numbers.min(), p.numbers.max()))
            notes.append(f"{p.name!r} is named like the {role.replace('_', ' ')} and holds whole numbers "
                         f"{int(p.numbers.min())} to {int(p.numbers.max())}, which read as a spreadsheet's day numbers "
                         f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}: save the column as dates, then set {key}")
            continue
        ways = mixed_date_formats(frame[p.name])
        if ways:
            notes.append(f"{p.name!r} is named like the {role.replace('_', ' ')} and holds {ways_said(ways)}; "
                         f"write them one way, then set {key}")
    return notes


MIXED_WAYS = 4  # the most ways of writing dates one column is said to mix (more: not dates at all)
MIXED_UNREAD = 0.02  # share of its distinct values such a column may hold that no format reads (31/02/2020)


def mixed_date_formats(values: pd.Series) -> list[tuple[str | None, int, str]] | None:
    """[(format, values, example)] for the formats that together read the distinct values present,
    when no one format does: each in turn the one reading most of the values still unread (at most
    MIXED_WAYS of them), then (None, values, example) for those none reads, at most MIXED_UNREAD of
    them; None otherwise."""
    text = values.dropna().astype(str).str.strip()
    text = text[~is_missing(text)]  # blanks and markers ('N/A') are no way of writing a date
    uniques = pd.Series(pd.unique(text), dtype=object)
    if uniques.empty or not uniques.str.contains(r"\d").all():
        return None
    read = {fmt: to_dates(uniques, fmt).notna().to_numpy() for fmt in DATE_FORMATS}
    left = np.ones(len(uniques), dtype=bool)
    ways = []
    while len(ways) < MIXED_WAYS:
        best = max(read, key=lambda f: (read[f] & left).sum())  # the first of the formats reading the most
        if not (read[best] & left).any():
            break
        ways.append((best, read[best] & left))
        left &= ~read[best]
    more = any((r & left).any() for r in read.values())  # values a further way would read: not dates
    if len(ways) < 2 or more or left.sum() > MIXED_UNREAD * len(uniques):
        return None
    return [(fmt, int(text.isin(set(uniques[mine])).sum()), str(uniques[mine].iloc[0]))
            for fmt, mine in ways + ([(None, left)] if left.any() else [])]


NUMBER_WORDS = {2: "two", 3: "three", 4: "four"}


def ways_said(ways: list[tuple[str | None, int, str]]) -> str:
    """'dates written in two ways: 150 as %Y-%m-%d (e.g. '2014-03-02'), ...; 1 in none (e.g. ...)'."""
    said = ", ".join(f"{n:,} as {fmt} (e.g. {ex!r})" for fmt, n, ex in ways if fmt)
    unread = "".join(f"; {n:,} read in none (e.g. {ex!r})" for fmt, n, ex in ways if not fmt)
    known = sum(1 for fmt, _, _ in ways if fmt)
    return f"dates written in {NUMBER_WORDS.get(known, known)} ways: {said}{unread}"


def customer_rows(frame: pd.DataFrame, profiles: list[Profile]) -> np.ndarray:
    """Rows that can be customers, as cleaning will judge them: not empty, more than one field
    filled (of three or more), no totals word in the first column, amounts not the sums of the other
    rows' (repeated rows left out of the sums, as cleaning excludes them)."""
    filled = np.zeros(len(frame), dtype=np.int64)
    for col in frame.columns:
        filled += ~is_missing(frame[col].astype(str)).to_numpy(dtype=bool)
    keep = (filled > 0) & ~((filled <= 1) & (frame.shape[1] >= 3))
    first = frame.iloc[:, 0].astype(str) if frame.shape[1] else pd.Series([], dtype=str)
    keep &= ~totals_word(first).to_numpy(dtype=bool)
    numbers = pd.DataFrame({p.name: p.by_row.to_numpy() for p in profiles if p.numeric}, index=frame.index)
    return keep & ~sum_rows(numbers, keep & ~frame.duplicated().to_numpy())
