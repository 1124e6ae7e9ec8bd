"""Which questions ask for a time, an amount, a reason or a name, and which spans cannot be one; the form the
reader reads a question in."""

from __future__ import annotations

import pytest

from talentqa.answer.asked import (
    Asked,
    Measure,
    an_address_for_who,
    another_office,
    as_judged,
    as_read,
    asked_for,
    asked_part,
    asks_for_money,
    can_answer,
    cannot_be_short_answer,
    counts_another_kind,
    dated_by_its_report,
    dates_a_place,
    dates_the_saying,
    gives_only_a_year,
    is_yes_no,
    measure_asked,
    month_match,
    month_missing,
    named_by_number,
    names_only_the_asked_about,
    office_lead,
    ordinal_match,
    restates_the_asked,
    states_measure,
    states_money,
    time_of_opposite,
    told_recipient,
    year_match,
)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("When did the China Initiative end?", Asked.TIME),
        ("In what year was the fund set up?", Asked.TIME),
        ("What month did the study appear?", Asked.TIME),
        ("How many returnees did the study count?", Asked.AMOUNT),
        ("How much does each grantee receive?", Asked.AMOUNT),
        ("What percentage of researchers stayed?", Asked.AMOUNT),
        ("How long did Sun Nan spend in the U.S.?", Asked.AMOUNT),
        ("How long ago did the study appear?", Asked.TIME),
        ("How old was Lucile Randon?", Asked.AMOUNT),
        ("How close to midnight is the Doomsday Clock?", Asked.AMOUNT),
        ("How far did the rocket fly?", Asked.OTHER),  # "any terrestrial distance", a place
        ("Who runs the fund?", Asked.NAME),
        ("Which journal did MacroPolo publish its report in?", Asked.NAME),
        ("In which cities did returnees settle?", Asked.NAME),
        # numbers name these: "article 66", "the 50-yard line", "Apollo 17"
        ("Which article made provisions for mergers?", Asked.OTHER),
        ("What yard line was painted gold?", Asked.OTHER),
        ("Which mission landed on the moon?", Asked.OTHER),
        ("What did MacroPolo find?", Asked.OTHER),
        ("Why are scientists leaving?", Asked.REASON),
        ("And how come they stayed?", Asked.REASON),
        ("How did the study count returnees?", Asked.OTHER),
        # a clause about a time, then the real question
        ("When violence is used, what is civil disobedience called?", Asked.OTHER),
        ("When people take on debt, it leads to what?", Asked.OTHER),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, asked: Asked) -> None:
    assert asked_for(question) is asked


@pytest.mark.parametrize(
    ("question", "part"),
    [
        # a lead-in statement, then the question
        (
            "The fund paid 1,250 returnees this year. Which city sent the most?",
            "Which city sent the most?",
        ),
        # asked in place, at the end
        ("Sun Nan moved back to Beijing in which year?", "which year?"),
        ("She has served as prime minister since when?", "when?"),
        ("He was elected after how many rounds of voting?", "how many rounds of voting?"),
        # after a fronted clause; the "when" after it opens a clause, not the question
        ("In the study, what did returnees cite when asked?", "what did returnees cite when asked?"),
        # a relative "whose" is not what the question asks
        (
            "The poet, whose birthday is in January, wrote it in what year?",
            "what year?",
        ),
        # opening with a question word (after a preposition): the whole question
        ("In which case did he lose when he moved?", "In which case did he lose when he moved?"),
        # a statement is left as it is: its "who" is relative
        ("Feng Tao, who was charged, was acquitted.", "Feng Tao, who was charged, was acquitted."),
    ],
)
def test_the_part_of_a_question_that_says_what_it_asks_for(question: str, part: str) -> None:
    assert asked_part(question) == part


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("NFL player Damar Hamlin collapsed this week. He is a member of which team?", Asked.NAME),
        ("Jacinda Ardern has served as prime minister since when?", Asked.TIME),
        ("McCarthy was elected speaker after how many rounds of voting?", Asked.AMOUNT),
        ("In the Rankine cycle, what does water turn into when heated?", Asked.OTHER),
    ],
)
def test_a_question_led_in_or_asked_in_place_asks_for_the_kind_its_question_word_names(
    question: str, asked: Asked
) -> None:
    assert asked_for(question) is asked


def test_a_span_that_cannot_be_what_a_question_asked_in_place_asks_for_does_not_answer_it() -> None:
    question = "Jacinda Ardern has announced her resignation after serving as prime minister since when?"
    assert not can_answer(question, "because of professional burnout")
    assert can_answer(question, "2017")
    assert not can_answer("The retailer is closing stores. Which company bought it?", "Tsinghua University")


@pytest.mark.parametrize(
    ("question", "span", "fits"),
    [
        ("When did the China Initiative end?", "Justice Department", False),
        ("When did the China Initiative end?", "in 2022", True),
        ("When did the China Initiative end?", "last February", True),
        ("When does the debate take place?", "Wednesdays", True),
        ("In what century were schools founded?", "the nineteenth", True),
        ("How much does each grantee receive?", "the fund's grantees", False),
        ("How much does each grantee receive?", "roughly 1,250", True),
        ("How much does each grantee receive?", "$50,000", True),
        ("How many people were killed?", "dozens", True),
        ("How much did homicide rates differ?", "tenfold", True),
        ("How many Chinese researchers were charged?", "many", False),
        ("How many Chinese researchers were charged?", "some", False),
        ("How many prime numbers exist?", "infinitely many", True),
        ("How many of them survived?", "all", True),
        ("How much of it was spent?", "some", True),
        ("Which year did Feng Tao join the university?", "January", False),
        ("In what year did he join?", "the following year", True),
        ("What year did he join?", "in 2009", True),
        ("In what year did the spacecraft launch?", "December 15", False),  # a day, no year
        ("In what year did it open?", "the 1990s", True),
        ("What year did the eruption happen?", "AD 79", True),
        ("What month did he join?", "January", True),
        ("On what exact date did Pfizer file its request?", "February", False),  # a month, no day
        ("On what exact date did Pfizer file its request?", "February 1", True),
        ("Roughly how much does he spend on groceries?", "the grocery bill", False),  # a hedge first
        ("How long did Feng Tao work at the University of Kansas?", "January", False),
        ("How long did Feng Tao work at the University of Kansas?", "the University of Kansas", False),
        ("How long did Sun Nan spend in the U.S.?", "ten years", True),
        ("How long did Sun Nan spend in the U.S.?", "a decade", True),
        ("How long is the river?", "6,400 km", True),
        ("How long has the region been inhabited?", "since the Lower Paleolithic period", True),
        ("How long would this coalition last?", "until the end of the current Parliament", True),
        ("How long ago did it happen?", "in January", True),
        ("How long did the call last?", "69th birthday", False),  # a number, no unit
        ("How close to midnight did the Bulletin set the clock?", "closer to midnight", False),
        ("How close to midnight did the Bulletin set the clock?", "100 seconds", True),
        ("How old was she when she died?", "118", True),
        ("How old was she when she died?", "the world's oldest person", False),
        ("How tall is the tower?", "a hundred metres", True),
        ("How long did the call last?", "about 40 minutes", True),
        ("How long has the heat wave lasted?", "more than 60 years ago", False),  # when, not how long
        ("How long did Tesla hold this position?", "1892 to 1894", True),
        ("How long is the section that turns north?", "86 km", True),
        ("On what date was the op-ed published?", "last month", False),
        ("On what date was the op-ed published?", "Nov. 25", True),
        ("What day was the funeral?", "12 January", True),
        ("What day of the week is it held?", "Tuesday afternoon", True),
        ("On what day were the images sent?", "Christmas Eve", True),
        ("Prior to which date was there a settlement?", "1973", True),  # a year, for a loose "date"
        ("Who runs the fund?", "Justice Department", True),
        ("Who runs the fund?", "2018", False),
        ("Which journal did MacroPolo publish its report in?", "2023", False),
        ("Which journal did MacroPolo publish its report in?", "Tropical Geography", True),
        ("Which city sent the most returnees?", "北京", True),
        ("Which company did Sun Nan work for?", "Tsinghua University", False),
        ("Which company did he sue?", "the University of Kansas", False),
        ("Which company did Zizheng Pan intern at?", "Nvidia", True),
        ("Which company makes the chips?", "Acme Corp", True),
        ("In which Canadian city was she detained?", "Canada", False),  # a country, no city
        ("In which Japanese city did they talk?", "in Japan", False),
        ("In which city did they talk?", "Osaka, Japan", True),
        ("Which city hosts the summit?", "Singapore", True),  # a city-state is its own city
        ("Which country hosts the summit?", "Canada", True),
        ("Which university did she attend?", "Harvard Medical School", True),
        ("In which city did returnees settle?", "Department of Commerce", False),
        ("Which organization ran it?", "Tsinghua University", True),  # any kind of organisation
        ("Which university does she teach at?", "AAPI Equity Alliance", False),  # a body, no university
        ("Which university does he teach at?", "the Brennan Center", False),
        ("Which agency sued the company?", "Federal Trade Commission", True),
        ("Which company funds the prize?", "Gates Foundation", False),
        ("Which TikTok spokesperson responded?", "Federal Communications Commission", False),
        ("Which official announced the plan?", "Department of Homeland Security", False),
        ("Which official announced the plan?", "Alejandro Mayorkas", True),
        ("Which FCC commissioner called for a ban?", "Federal Communications Commission", False),
        ("Which president signed the law?", "2019", False),
        ("What is the name of the company?", "2019", False),
        (
            "What is the name of the Auburn University spokesperson?",
            "Federal Trade Commission",
            False,
        ),  # a person's name, not a number
        ("Who is the individual accused of fraud?", "2023", False),
        ("Which law firm represented Twitter?", "David Paul Morris/Bloomberg", False),  # a photo's credit
        ("Who took the photo of the storm?", "John Normile/Getty Images", True),
        ("Which area is it?", "Hospitality Business/Financial Centre", True),  # a name with a slash
        ("How much of the $1.6 billion amendment went to a lander?", "$1.6 billion", False),  # its own
        ("How much of the $1.6 billion amendment went to a lander?", "$600 million", True),
        ("How many tests were run when 1.53% were positive?", "1.53%", False),
        ("How many of the 50 states ban it?", "31", True),
        ("How many types of X.25 networks were there?", "two kinds of X.25", True),  # "25": a name's
        ("What was the name of the 3-year-old child who died?", "Gansu province", False),  # a place
        ("What was the name of the 3-year-old child who died?", "Li Ming", True),
        ("Which Burisma Holdings official did he meet?", "Ukrainian energy company", False),
        ("Which university did the volunteers come from?", "Beijing Capital International Airport", False),
        ("Which university did the volunteers come from?", "Capital Normal University", True),
        ("What Doctor Who spin-off was only a pilot?", "K-9 and Company", True),  # "Doctor": a name's
        ("Which platform pays video makers most?", "YouTube", True),
        ("Which platform pays video makers most?", "2021", False),
        ("Why are Chinese scientists leaving the US?", "feeling anxious", False),
        ("Why are Chinese scientists leaving the US?", "China Initiative", False),
        ("Why are Chinese scientists leaving the US?", "because of suspicion", True),
        ("Why did the city build a wall?", "to keep out raiders", True),
        ("Why was the game delayed?", "due to rain", True),
    ],
)
def test_a_span_fits_a_time_amount_reason_or_name_question_only_when_it_can_be_one(
    question: str, span: str, fits: bool
) -> None:
    assert can_answer(question, span) is fits


@pytest.mark.parametrize(
    ("question", "yes_no"),
    [
        ("Did The Verge report that Apple paid Google?", True),
        ("Is it true that vitamin D lowers the risk?", True),
        ("Has the China Initiative ended?", True),
        ("And was it cancelled in 2022?", True),
        ("Does the report say whether or not it ended?", True),  # "or not" is no choice
        ("Is a problem instance abstract or concrete?", False),  # a choice: a span answers it
        ("Did TechCrunch or The Verge report it first?", False),
        ("Who runs the fund?", False),
        ("What did MacroPolo find?", False),
        ("Island nations: which ones signed?", False),  # "Is" inside a word
    ],
)
def test_a_yes_no_question_is_told_from_a_choice_and_a_wh_question(question: str, yes_no: bool) -> None:
    assert is_yes_no(question) is yes_no


@pytest.mark.parametrize(
    ("question", "money"),
    [
        ("How much does each fund grantee receive?", True),
        ("How much did the deal cost?", True),
        ("What is the fund's annual budget?", True),
        ("What was the price of a ticket?", True),
        ("How much cash do local governments give families for a third child?", True),
        ("How much funding went to the program?", True),
        ("How much debt does Country Garden owe?", True),
        ("How much revenue did the app bring in?", True),
        ("How much did the startup raise?", True),
        ("How much did the startup raise in its Series B?", True),
        ("How much did the film make a year?", True),
        ("How much could the ice sheet raise sea level, according to NASA?", False),  # its own object
        ("How much did they raise the prices?", False),
        ("How much time was left in the quarter?", False),
        ("How much of the budget went to laboratories?", False),
        ("What is the comparison in price between private and public schools?", False),
        ("How many returnees did the study count?", False),
        ("How much are tickets for the show at the Van Buren?", True),  # a price, no verb of paying
        ("How much is a single ticket to the gala?", True),
        ("How much are ticket prices expected to rise?", False),  # a change, not a price
        ("How much is the sieve method used?", False),
    ],
)
def test_a_question_asks_for_money_when_it_asks_what_something_costs_pays_or_is_worth(
    question: str, money: bool
) -> None:
    assert asks_for_money(question) is money


def test_a_sum_of_money_is_named_by_a_currency_or_as_free() -> None:
    assert states_money("The university gave her a grant of 2.4 million euros.")
    assert states_money("It was sold for $30m.") and states_money("Entry is free.")
    assert not states_money("It counted roughly 1,250 returnees among the fund's grantees.")


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("How much does each grantee receive?", Measure.MONEY),
        ("How much did the object shot down over Alaska weigh?", Measure.WEIGHT),
        ("How heavy was the payload?", Measure.WEIGHT),
        ("What was the balloon's weight?", Measure.WEIGHT),
        ("What is the weight of a bushel of coal in pounds?", Measure.WEIGHT),
        ("How much weight can the rocket lift into orbit?", Measure.WEIGHT),
        ("What was the highest temperature recorded during the heat wave?", Measure.TEMPERATURE),
        ("How cold does the region get in winter?", Measure.TEMPERATURE),
        ("At what temperature does oxygen condense?", Measure.TEMPERATURE),
        ("What was the mass of the meteoroid that struck Mars?", Measure.WEIGHT),
        ("How wide are the craters left by the impact?", Measure.LENGTH),
        ("What is the height of the tower?", Measure.LENGTH),
        ("How far did the jet plunge?", None),  # "as far west as Lake Balkhash"
        ("What was the final score of the game against Finland?", Measure.SCORE),
        ("What was the score of the 2015 NFC championship game?", Measure.SCORE),
        ("What was her score on the SAT?", None),  # a test score is one number
        ("By what score did the home side beat the visitors?", Measure.SCORE),
        ("With what final score did the team win the cup?", Measure.SCORE),
        ("By what margin did she win the seat?", None),  # "by 4 points": a margin is one number
        ("How much of the budget went to laboratories?", None),
        ("How big was the object?", None),
    ],
)
def test_a_question_asks_for_a_measure_whose_unit_the_answer_must_name(
    question: str, measure: Measure | None
) -> None:
    assert measure_asked(question) is measure


def test_a_weight_is_named_by_its_unit() -> None:
    assert states_measure(Measure.WEIGHT, "Its payload weighed about 2,000 pounds.")
    assert states_measure(Measure.WEIGHT, "The module weighed 5,560 kg fully fueled.")
    assert not states_measure(Measure.WEIGHT, "It was described as the size of a small car.")
    assert states_measure(Measure.MONEY, "It cost $30m.") and not states_measure(
        Measure.MONEY, "It cost a lot."
    )


def test_a_length_is_named_by_its_unit() -> None:
    assert states_measure(Measure.LENGTH, "It left a crater 130 meters wide.")
    assert states_measure(Measure.LENGTH, "The tower is 1,250 ft tall.") and states_measure(
        Measure.LENGTH, "a 16-foot crater"
    )
    assert not states_measure(Measure.LENGTH, "It exploded into at least three shards.")
    assert not states_measure(Measure.LENGTH, "An ocean lies beneath its thick shell in the dark.")  # "in"
    assert states_measure(Measure.LENGTH, "Chloroplasts are 1–3 μm thick.")


def test_a_score_is_named_by_two_numbers() -> None:
    assert states_measure(Measure.SCORE, "Denver beat Carolina 24–10 to win Super Bowl 50.")
    assert states_measure(Measure.SCORE, "They won 6 to 5.")
    assert not states_measure(Measure.SCORE, "The U.S. women face Finland at 8:10 a.m. ET.")


def test_a_temperature_is_named_in_degrees_or_by_comparison() -> None:
    assert states_measure(Measure.TEMPERATURE, "The highest temperature recorded was 104 °F (40 °C).")
    assert states_measure(Measure.TEMPERATURE, "Oxygen condenses at 90.20 K.")
    assert states_measure(Measure.TEMPERATURE, "It is more soluble at lower temperatures.")
    assert not states_measure(
        Measure.TEMPERATURE, "It has smashed temperature records at hundreds of weather stations."
    )


@pytest.mark.parametrize(
    ("question", "before", "another"),
    [
        ("Which governor ordered the ban?", "Also at the federal level, Sen. ", True),
        ("Which governor ordered the ban?", "Also at the federal level, Sen. Josh ", True),
        ("Which governor ordered the ban?", "In Texas, Gov. Greg ", False),
        ("Which US president visited the city?", "it was said by Prime Minister ", True),
        ("Which Senator backed the act?", "a strong advocate in Senator ", False),
        ("Which governor ordered the ban?", "the senator said ", False),
        ("Which governor ordered the ban?", "The ban was ordered by ", False),
        ("Who ordered the ban?", "Sen. ", False),
        ("What is the name of the Auburn University spokesperson who spoke?", "Alabama Gov. ", True),
        ("What is the name of the TikTok spokesperson who spoke?", "TikTok spokesperson ", False),
    ],
)
def test_a_name_given_another_office_than_the_one_asked_does_not_answer(
    question: str, before: str, another: bool
) -> None:
    assert another_office(question, before) is another


@pytest.mark.parametrize(
    ("span", "lead"),
    [
        ("immigration minister Hawke", "immigration minister "),
        ("Missouri Republican Sen. Josh Hawley", "Missouri Republican Sen. "),
        ("Josh Hawley", ""),
        ("the minister", ""),  # no name after the office
    ],
)
def test_the_office_a_span_gives_before_its_name_is_its_lead(span: str, lead: str) -> None:
    assert office_lead(span) == lead


@pytest.mark.parametrize(
    ("question", "context", "other_years", "asked_year"),
    [
        ("How much did China's GDP grow in 2020?", "In 2021, its GDP hit nearly $18 trillion.", True, False),
        ("How much did China's GDP grow in 2020?", "In 2020, GDP grew 2.3%.", False, True),
        ("How much did it grow?", "In 2021, its GDP hit nearly $18 trillion.", False, False),
        ("How much did China's GDP grow in 2020?", "Its GDP grew 2.3%.", False, False),
        ("Where did France lose a war in the 1950's?", "It lost a war in Vietnam in the 1950s.", False, True),
        ("Where did France lose a war in the 1950s?", "In 1954 France lost in Vietnam.", False, True),
        ("Where did France lose a war in 1954?", "It lost a war in Vietnam in the 1950s.", False, True),
        (
            "Feinstein will not run in 2024. What year was she first elected?",
            "Elected in 1992.",
            False,
            False,
        ),
        ("Did China's GDP grow in 2020?", "In 2021, its GDP grew.", False, False),
        ("How many died in 2020?", "More than 2000 people died, at $1999 each.", False, False),
        (
            "What was the last deadly crash before the China Eastern crash in March 2022?",
            "It is the first since the 2010 Henan Airlines disaster.",
            False,
            False,
        ),  # the year of the event it is set against, not of the asked one
        ("What did he found after 1990?", "In 1994 he founded a lab.", False, False),
        ("What did he found in 1994, after leaving?", "In 1996 he founded a lab.", True, False),
        ("How much did output grow since 2004?", "In 2003-04 it grew $8.7 billion.", True, False),
    ],
)
def test_a_sentence_naming_only_other_years_than_the_asked_one_dates_another_fact(
    question: str, context: str, other_years: bool, asked_year: bool
) -> None:
    match = year_match(question, context)
    assert (match is False) is other_years
    assert (match is True) is asked_year


def test_a_report_dates_what_it_states_by_the_year_it_was_published() -> None:
    question = "On what date in 2022 did oil prices spike to $122.11?"
    context = "Prices of oil spiked to $122.11 on June 8, about a dollar off its highest level since 2008."
    assert year_match(question, context) is False  # the year alone names another time
    assert year_match(question, context, reported_in=2022) is True
    assert year_match(question, context, reported_in=2023) is False
    assert (
        year_match("How much did China's GDP grow in 2020?", "In 2021, it grew.", reported_in=2021) is False
    )
    # Years alone date a sentence whenever it was reported; the report's year dates one naming none, or
    # completes a date written without its year
    assert dated_by_its_report("He got 71.1% this time after coming up short at 70% last year.")
    assert not dated_by_its_report("The furthest the clock has been was 17 minutes in 1991.")
    assert not dated_by_its_report("Prices may rise in 2023.")  # "may", no month
    assert dated_by_its_report("Prices of oil spiked to $122.11 on June 8.")
    assert dated_by_its_report("Inflation hit 9.1% in June.")
    assert dated_by_its_report("On Thursday, the clock was set at 100 seconds to midnight.")
    assert dated_by_its_report("Sales rose this year.")
    # The publication alone never rules a context out: one naming no year stays undecided.
    assert (
        year_match("What did oil cost in 2020?", "Oil spiked to $122.11 on June 8.", reported_in=2022) is None
    )


@pytest.mark.parametrize(
    ("question", "before", "opposite"),
    [
        ("When did the China Initiative end?", "including the China Initiative launched in ", True),
        ("When did the war begin?", "The war ended in ", True),
        ("When did the China Initiative end?", "The program ended in ", False),
        ("When was the fund established?", "The fund was established in ", False),
        ("Who founded the company?", "It closed in ", False),  # not a time question
        ("When did the talks end?", "They began in March and ended in ", False),  # both events named
    ],
)
def test_a_time_is_not_the_answer_when_it_dates_the_opposite_event(
    question: str, before: str, opposite: bool
) -> None:
    assert time_of_opposite(question, before) is opposite


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("who's Michael German", "who is Michael German?"),
        ("What’s the fund's age limit", "What is the fund's age limit?"),
        ("where does marina zhang work.", "where does marina zhang work?"),
        ("Did DeepSeek hire interns ", "Did DeepSeek hire interns?"),
        ("Who sued the University of Kansas?", "Who sued the University of Kansas?"),
        ("Tell me about Feng Tao.", "Tell me about Feng Tao."),
        (
            "All these MLB teams agreed to a contract with Correa except:",
            "All these MLB teams agreed to a contract with Correa except:",
        ),
        (
            "The Georgia Bulldogs romped past this opponent on Monday.",
            "The Georgia Bulldogs romped past this opponent on Monday.",
        ),
        # statements leading the question in are not read; a question of its own is
        ("The IRS began accepting returns this week. When is the deadline?", "When is the deadline?"),
        ("Hamlin collapsed on Monday. He is a member of which team?", "He is a member of which team?"),
        ("When did it end? I need it for an essay.", "When did it end?"),
        # what follows the statement is no question on its own: read whole
        ("Twelve new moons were found. True or false?", "Twelve new moons were found. True or false?"),
    ],
)
def test_a_question_is_read_in_the_form_the_reader_learnt_questions_in(typed: str, read: str) -> None:
    assert as_read(typed) == read


@pytest.mark.parametrize(
    ("typed", "judged"),
    [
        # alone, "he" names nobody: the LLM reads the lead-in it refers to
        (
            "Hamlin collapsed on Monday. He is a member of which team?",
            "Hamlin collapsed on Monday. He is a member of which team?",
        ),
        ("Lucile Randon died this week. how old was she", "Lucile Randon died this week. how old was she"),
        # a question naming its own subject is judged alone, as the fast reader reads it
        ("The IRS began accepting returns this week. When is the deadline?", "When is the deadline?"),
        ("Who's the harbour master?", "Who is the harbour master?"),
        ("Where did he go?", "Where did he go?"),
    ],
)
def test_the_llm_reads_the_lead_in_only_of_a_question_that_refers_back_to_it(typed: str, judged: str) -> None:
    assert as_judged(typed) == judged


@pytest.mark.parametrize(
    ("question", "span", "ruled_out"),
    [
        ("What kind of organisation is the academy?", "Tianjin Normal University", True),
        ("What kind of organisation is the academy?", "think tank", False),
        ("What kind of university is the University of Chicago?", "a private research university", False),
        ("What type of Lord is Doctor Who?", "Time Lord", False),  # a capitalised kind, no institution
        ("What share of the fund's grantees were returnees?", "1,250", True),
        ("What share of the fund's grantees were returnees?", "about half", False),
        ("What percentage of students go to Catholic schools?", "61", False),
        ("How many returnees did the study count?", "1,250", False),
    ],
)
def test_a_named_institution_is_no_kind_and_a_count_above_100_no_share(
    question: str, span: str, ruled_out: bool
) -> None:
    assert cannot_be_short_answer(question, span) is ruled_out


@pytest.mark.parametrize(
    ("question", "context", "match"),
    [
        (
            "What gift did Putin give Xi for his 69th birthday?",
            "Xi celebrated his 66th birthday in 2019.",
            False,
        ),
        (
            "What gift did Putin give Xi for his 69th birthday?",
            "On his 69th birthday, Xi called Putin.",
            True,
        ),
        ("What gift did Putin give Xi for his 69th birthday?", "Putin gave Xi ice cream.", None),
        ("What gift did Putin give Xi for his 69th birthday?", "It was the 3rd call this year.", None),
        ("Was it his 69th birthday?", "Xi celebrated his 66th birthday.", None),  # yes/no: the evidence
        ("Who chaired the 21st Congress?", "The 20th and 21st Congresses met there.", True),
    ],
)
def test_a_sentence_numbering_another_occasion_than_the_asked_one_states_another_fact(
    question: str, context: str, match: bool | None
) -> None:
    assert ordinal_match(question, context) is match


@pytest.mark.parametrize(
    ("before", "name"),
    [
        ("the Governor’s Executive Order ", "Executive Order"),
        ("the Broncos won Super Bowl ", "Super Bowl"),
        ("the crew of Apollo ", "Apollo"),
        ("It happened. In ", ""),
        ("the game ended in ", ""),
    ],
)
def test_a_bare_number_ends_the_capitalised_name_written_right_before_it(before: str, name: str) -> None:
    assert named_by_number(before) == name


@pytest.mark.parametrize(
    ("question", "span_on", "another"),
    [
        ("How many students are enrolled across the system's schools?", "26 universities and colleges", True),
        ("How many users does TikTok have in the US?", "31 states have banned it", True),
        ("How many universities restrict the app?", "40,000 students at", True),
        ("How many students are enrolled?", "26,000 students", False),
        ("How many states banned it?", "31 states have", False),
        ("How many students are enrolled?", "26 in all", False),  # no counted noun: the reader's call
        ("How many bills were passed?", "26 universities", False),  # neither people nor institutions
        ("Which students enrolled?", "26 universities", False),
        ("How many factories were forced to shut?", "80 million people in southwestern China", True),
        ("How many residents were moved?", "12 factories were", True),
        ("How many people were moved?", "80 million people", False),
        ("How many schools admit women?", "3 women's colleges", False),  # "women's": not what it counts
    ],
)
def test_a_count_of_institutions_does_not_answer_a_question_counting_people(
    question: str, span_on: str, another: bool
) -> None:
    assert counts_another_kind(question, span_on) is another


@pytest.mark.parametrize(
    ("question", "span", "after", "only_a_year"),
    [
        ("How many visitors attend the festival each year?", "1994", ". And watching", True),
        ("How many visitors attend the festival each year?", "since 1994", ".", True),
        ("How many guests attended the dinner?", "2000", " guests, and", False),  # a count of guests
        ("How many people died?", "2,000", " in the", False),
        ("How much did it cost?", "$2000", "", False),
        ("How many boxes were sold in 2019?", "five", " in 2019", False),
        ("How many boxes were sold?", "five in 2019", "", False),  # a count beside its year
        ("When did the festival start?", "1994", "", False),  # a year is asked for
    ],
)
def test_a_year_alone_is_no_count_or_sum(question: str, span: str, after: str, only_a_year: bool) -> None:
    assert gives_only_a_year(question, span, after) is only_a_year


@pytest.mark.parametrize(
    ("question", "context", "published", "match"),
    [
        # a figure of a report's year before, written "last year"
        ("How many groups took part in the parade in 2016?", "Last year, 80 groups took part.", 2016, False),
        ("How many groups took part in the parade in 2015?", "Last year, 80 groups took part.", 2016, True),
        ("How tall was the tree in 2015?", "This year's tree tops 35 feet.", 2016, False),
        ("How tall was the tree in 2016?", "This year's tree tops 35 feet.", 2016, True),
        ("Who will be on the 2022 ballot?", "He will be on next year's ballot.", 2021, True),
        # what this year's figure is set against is not the year it states
        ("How much did sales grow in 2015?", "Sales grew 5% from last year.", 2016, None),
        ("How much did sales grow in 2016?", "Sales grew 5% from last year.", 2016, None),
        # the year's figure and last year's in one sentence: this time's stands
        ("What share did he get in 2021?", "He got 71.1% this time after 70% last year.", 2021, True),
        ("What share did he get in 2019?", "He got 71.1% this time after 70% last year.", 2021, False),
        ("How tall was the tree in 2015?", "This year's tree tops 35 feet.", None, None),  # undated report
    ],
)
def test_this_last_and_next_year_name_years_counted_from_the_report(
    question: str, context: str, published: int | None, match: bool | None
) -> None:
    reported = published if dated_by_its_report(context) else None
    assert year_match(question, context, reported, published) is match


@pytest.mark.parametrize(
    ("question", "context", "match"),
    [
        ("By how much did sales fall in September?", "In October, sales contracted 26.5%.", False),
        ("By how much did sales fall in September?", "In September, sales fell 24%.", True),
        ("By how much did sales fall in September?", "Sales fell 24% this year.", None),
        ("How much did sales fall?", "In October, sales contracted 26.5%.", None),
        ("Who may join in 2023?", "In October, members may join.", None),  # "may", the verb: no month
        ("What happened on May 3?", "On May 3, the law passed.", True),
        ("What crash came before the one in March 2022?", "In May 2010, a jet crashed.", None),
        ("Did sales fall in September?", "In October, sales contracted.", None),  # yes/no: the evidence
    ],
)
def test_a_sentence_naming_only_other_months_than_the_asked_one_states_another_months_fact(
    question: str, context: str, match: bool | None
) -> None:
    assert month_match(question, context) is match


@pytest.mark.parametrize(
    ("question", "span", "restates"),
    [
        ("Which clinic in central Beijing had hours-long lines?", "a clinic", True),
        ("Which clinic in central Beijing had hours-long lines?", "the central clinic", True),
        ("Which clinic had hours-long lines?", "a walk-in clinic", False),  # a word of its own
        ("Which park is home to the Kearney Mansion?", "Kearney Park", False),  # a name
        ("Which article prohibits it?", "article 101", False),  # a number names it
        ("Who runs the clinic?", "a clinic", False),
        ("Which Russian bank did they link to the servers?", "Russian bank", True),  # the asked words
        ("What lake connects the Rhine to Lake Constance?", "Lake Rhine", False),  # a name of other words
        ("What civil rights movement was known for disobedience?", "Civil Rights Movement", False),
    ],
)
def test_a_span_that_only_restates_the_asked_noun_names_nothing(
    question: str, span: str, restates: bool
) -> None:
    assert restates_the_asked(question, span) is restates


@pytest.mark.parametrize(
    ("question", "span", "only_asked_about"),
    [
        ("Who took over as Microsoft CEO when Bill Gates stepped down?", "Gates", True),
        ("Who took over as Microsoft CEO when Bill Gates stepped down?", "Steve Ballmer", False),
        ("Who is Kevin McCarthy?", "Kevin McCarthy", True),  # a description is asked for
        ("Who is Kevin McCarthy?", "the House GOP leader Kevin McCarthy", False),
        ("Who won the vote, Biden or Trump?", "Biden", False),  # a choice between the names it gives
        ("Who did the FCC rule for in the dispute between Time Warner and ABC?", "ABC", False),
        ("Which company did Bill Gates found?", "Gates", False),  # not a "Who ...?" question
    ],
)
def test_a_who_question_is_not_answered_by_the_names_it_gives_itself(
    question: str, span: str, only_asked_about: bool
) -> None:
    assert names_only_the_asked_about(question, span) is only_asked_about


@pytest.mark.parametrize(
    ("question", "before", "told"),
    [
        ("What tech company did Ben Lamm run?", "co-founder and CEO of Colossal, told ", True),
        ("What tech company did Ben Lamm run?", "the company said it was telling the ", True),
        ("Which outlet did Ben Lamm speak to?", "co-founder and CEO of Colossal, told ", False),
        ("Who did Lamm tell about the calves?", "Lamm told ", False),
        ("What tech company did Ben Lamm run?", "Lamm founded ", False),
        ("Between the BBC's report and The Independent's, was there a change in tone?", "she told ", False),
    ],
)
def test_the_one_a_statement_was_told_to_does_not_answer_what_it_states(
    question: str, before: str, told: bool
) -> None:
    assert told_recipient(question, before) is told


@pytest.mark.parametrize(
    ("question", "quote", "missing"),
    [
        ("In which month of 2023 will the expedition set out?", "It will continue its work in 2023.", True),
        ("In which month of 2023 will the expedition set out?", "It sets out in late spring.", False),
        ("What month are the elections held on?", "They are held on the first Thursday in May.", False),
        ("When will the expedition set out?", "It will continue its work in 2023.", False),  # no month asked
    ],
)
def test_a_quote_naming_no_month_does_not_answer_in_which_month(
    question: str, quote: str, missing: bool
) -> None:
    assert month_missing(question, quote) is missing


@pytest.mark.parametrize(
    ("question", "span", "clash"),
    [
        ("Where did the tour kick off?", "6/23", True),  # a listing's date heading
        ("Where did the tour kick off?", "on Saturday, June 23", True),
        ("Where did the tour kick off?", "in 2014", True),
        ("Where did the tour kick off?", "Chase Field", False),
        ("Where did the tour kick off?", "1234 Main St.", False),  # a number, but no date
        ("Where and when did the investigation begin?", "1894", False),  # two things asked
        ("When did the tour kick off?", "6/23", False),
    ],
)
def test_a_where_question_is_not_answered_by_a_date_alone(question: str, span: str, clash: bool) -> None:
    assert dates_a_place(question, span) is clash
    assert can_answer(question, span) is not clash


@pytest.mark.parametrize(
    ("question", "span", "clash"),
    [
        ("Who is opening for them at the stadium?", "Loop 101 and Glendale Avenue, Glendale", True),
        ("Who is opening for them?", "730 N. Mill Ave., Tempe", True),
        ("Who partnered with Tesla?", "Robert Lane and Benjamin Vail", False),  # a street-like name
        ("Who bought the rights?", "Prospect Park", False),
        ("Which street is closed?", "Glendale Avenue", False),  # a street asked for
    ],
)
def test_a_who_question_is_not_answered_by_a_street_address(question: str, span: str, clash: bool) -> None:
    assert an_address_for_who(question, span) is clash
    assert can_answer(question, span) is not clash


@pytest.mark.parametrize(
    ("question", "before", "dates_it"),
    [
        # the day a plan was announced is not when it will be finished
        ("When is the Newport North End development expected to be finished?", "The group says ", True),
        ("When will the bridge open?", "officials said on ", True),
        # asked when it was said or announced, that day answers
        ("When were the two finalists announced?", "the league announced ", False),
        ("When did the mayor say the bridge would open?", "the mayor said ", False),
        # a day not right after a reporting verb; a question not asking when
        ("When will the bridge open?", "it will open on ", False),
        ("Who said it?", "the mayor said ", False),
    ],
)
def test_a_day_right_after_a_reporting_verb_dates_the_saying_not_the_event(
    question: str, before: str, dates_it: bool
) -> None:
    assert dates_the_saying(question, before) is dates_it


@pytest.mark.parametrize(
    ("question", "span", "ruled_out"),
    [
        ("According to Romney, which country typically sides with Russia at the UN?", "Russia", True),
        ("What did TikTok spokesperson Hilary McQuaide call the push?", "TikTok", True),
        ("According to Romney, which country typically sides with Russia at the UN?", "China", False),
        # a choice is answered by one of its own names
        ("Is China or Russia the larger trading partner?", "China", False),
        ("Which team won the final between France and Argentina?", "Argentina", False),
        # names in a lead-in are not the asked part's
        ("Buffalo Bills player Damar Hamlin collapsed. Which team does he play for?", "Buffalo Bills", False),
    ],
)
def test_a_span_naming_only_what_the_question_names_does_not_lead_the_answer(
    question: str, span: str, ruled_out: bool
) -> None:
    assert cannot_be_short_answer(question, span) is ruled_out
