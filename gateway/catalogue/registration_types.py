"""Chinese names and legal basis of each mortgage registration type, shared by catalogue and rules."""
from __future__ import annotations

from bank_adapters.canonical import RegistrationType

TYPE_NAMES_ZH: dict[RegistrationType, str] = {
    RegistrationType.MORTGAGE_FIRST: "抵押权首次登记（一般抵押）",
    RegistrationType.MORTGAGE_FIRST_MAXIMUM: "抵押权首次登记（最高额抵押）",
    RegistrationType.MORTGAGE_CHANGE: "抵押权变更登记",
    RegistrationType.MORTGAGE_TRANSFER: "抵押权转移登记",
    RegistrationType.MORTGAGE_DISCHARGE: "抵押权注销登记",
    RegistrationType.CONSTRUCTION_MORTGAGE: "在建建筑物抵押权首次登记",
    RegistrationType.PRE_NOTICE_MORTGAGE: "预购商品房抵押预告登记",
    RegistrationType.PRE_NOTICE_CONVERSION: "预购商品房抵押预告登记转抵押权首次登记",
    RegistrationType.OWNERSHIP_TRANSFER: "国有建设用地使用权及房屋所有权转移登记（买卖）",
}

# Articles of 不动产登记暂行条例实施细则 (细则) and 民法典 each type rests on.
TYPE_BASIS_ZH: dict[RegistrationType, str] = {
    RegistrationType.MORTGAGE_FIRST: "细则第66、67条",
    RegistrationType.MORTGAGE_FIRST_MAXIMUM: "细则第71条；民法典第420条",
    RegistrationType.MORTGAGE_CHANGE: "细则第68、72、77条；民法典第409条",
    RegistrationType.MORTGAGE_TRANSFER: "细则第69、74、77条",
    RegistrationType.MORTGAGE_DISCHARGE: "细则第70、77条",
    RegistrationType.CONSTRUCTION_MORTGAGE: "细则第75、76条",
    RegistrationType.PRE_NOTICE_MORTGAGE: "细则第78、85、86条；民法典第221条",
    RegistrationType.PRE_NOTICE_CONVERSION: "细则第78条第2款、第85条；民法典第221条",
    RegistrationType.OWNERSHIP_TRANSFER: "细则第27、38条；民法典第406条（抵押期间抵押财产转让）",
}
