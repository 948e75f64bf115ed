#!/usr/bin/env bash
# Build the worked example: the pledges of the Russia-Pakistan talks in Islamabad on
# 2021-04-07, and what became of them, through the `tracker` CLI only.
#
#   bash examples/islamabad-2021/build.sh [STORE]
#
# STORE defaults to pledges.json beside this script; an existing store there is deleted
# first. TRACKER_NOW is fixed so that recording times, and so the whole file apart from
# the uuids, come out the same on every run. All summaries are our own words; facts,
# dates, figures and URLs come from shared/reference/islamabad-2021-followups.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
db="${1:-$here/pledges.json}"

export TRACKER_NOW="2026-11-29T09:00:00"
unset TRACKER_DB

rm -f -- "$db" "$db.bak"

t() { tracker --db "$db" "$@"; }
# Run a command that prints a change; keep the build log short but visible.
# (The output is captured first, so that a failing command still stops the script.)
say() {
  local line
  line=$("$@")
  printf '  %s\n' "$line"
}

SEED="https://nation.com.pk/2021/04/07/russia-pakistan-agree-to-enhance-cooperation"
SEED_TITLE="Russia, Pakistan agree to enhance cooperation"
SEED_PUB="The Nation"
VENUE="Talks of the Russian and Pakistani foreign ministers in Islamabad"
MADE="2021-04-07"

SEED_ARGS=(--made-on "$MADE" --venue "$VENUE" --source "$SEED" --source-title "$SEED_TITLE" --publisher "$SEED_PUB")

echo "pledges"
P1=$(t add "Supply military equipment to build Pakistan's counter-terrorism capacity" \
  --actor Russia --recipient Pakistan --category defence --tag military-equipment --tag counter-terrorism \
  --text "Lavrov said Moscow was prepared to help Pakistan fight terrorism by providing it with military hardware." \
  --notes "No date and no list of equipment was given." \
  "${SEED_ARGS[@]}")
P2=$(t add "Hold further joint military exercises and drills" \
  --actor Russia --actor Pakistan --recipient Russia --recipient Pakistan --category defence --tag exercises \
  --text "Lavrov confirmed the two sides had agreed to keep holding joint military exercises." \
  --notes "Open-ended: no number of exercises and no date. Counted as kept once a second army exercise was held (DRUZHBA-VII, 2024), although none took place in 2022-23." \
  "${SEED_ARGS[@]}")
P3=$(t add "Diversify bilateral trade" \
  --actor Russia --actor Pakistan --recipient Russia --recipient Pakistan --category trade --tag trade \
  --text "Welcoming a 46 % rise in trade, Lavrov said its range of goods should now be widened." \
  --notes "The pledge is about the mix of goods, not the volume; growth alone does not meet it." \
  "${SEED_ARGS[@]}")
P4=$(t add "Start building the Pakistan Stream gas pipeline" \
  --actor Russia --actor Pakistan --recipient Russia --recipient Pakistan --category energy \
  --tag pakistan-stream --tag gas-pipeline \
  --condition "a new protocol on the Pakistan Stream project is signed" \
  --text "Lavrov said a new protocol on the gas pipeline was under discussion and that construction would begin once it was signed." \
  --notes "Construction was to start as soon as the protocol was signed; no date was given at the talks. See also pledge 7, Pakistan's own commitment to the project. Counted as stalled rather than broken: the project has not been dropped, but no construction began and the end-2023 completion date has passed." \
  "${SEED_ARGS[@]}")
P5=$(t add "Provide 150,000 more Covid-19 vaccine doses" \
  --actor Russia --recipient Pakistan --category health --tag covid --tag vaccines --tag sputnik-v \
  --target "150000 doses" \
  --text "Lavrov said Russia had supplied 50,000 vaccine doses to Pakistan and meant to send another 150,000." \
  --notes "The target counts doses that reached Pakistan after the talks. The doses that came were bought by Pakistan rather than donated, so the pledge was met in quantity, not as a gift." \
  "${SEED_ARGS[@]}")
P6=$(t add "Help the Afghan parties reach an agreement through inclusive political dialogue" \
  --actor Russia --actor Pakistan --recipient Afghanistan --category diplomacy --tag afghanistan --tag peace-process \
  --text "Both sides agreed to keep helping the Afghan parties towards a settlement reached through inclusive talks." \
  --notes "A pledge of effort (facilitation) whose aim, a negotiated end to the war, lay beyond the two governments' control. Counted as partial: both did facilitate talks (Doha 2021, Troika Plus), but the Afghan parties never reached an agreement, and Russia's recognition of the Taliban government in 2025 closes the question." \
  "${SEED_ARGS[@]}")
P7=$(t add "Go ahead with the Pakistan Stream gas pipeline project" \
  --actor Pakistan --recipient Russia --category energy --tag pakistan-stream --tag gas-pipeline \
  --text "Qureshi assured Lavrov that Pakistan stood by the pipeline and wanted it to proceed." \
  --notes "Pakistan's side of pledge 4 (same project, same evidence trail). Given without a condition: Pakistan committed itself at the talks, before the protocol was signed." \
  "${SEED_ARGS[@]}")
echo "  added $P1 $P2 $P3 $P4 $P5 $P6 $P7"

echo "P1 military equipment"
say t evidence add "$P1" "Joint Military Consultative Committee meets in Islamabad; both sides promise training, exercises and defence-industrial cooperation, but announce no equipment" \
  --date 2021-09-30 --stance context \
  --source https://thediplomaticinsight.com/pakistan-and-russia-agree-to-enhance-defense-relations/ --publisher "The Diplomatic Insight"
say t evidence add "$P1" "An unnamed Russian source denies reports that RD-93MA engines are being supplied for Pakistan's JF-17 jets (single anonymous source, approximate date)" \
  --date 2025-10-06 --stance contradicts \
  --source https://www.indiatoday.in/world/story/why-does-china-jf-17-thunder-use-russian-engines-pakistan-aeronautical-complex-chengdu-aircraft-corporation-paf-explained-2798737-2025-10-06 --publisher "India Today"

echo "P2 exercises"
say t evidence add "$P2" "DRUZHBA-2021 (Druzhba-VI) counter-terrorism exercise at the Molkino range near Krasnodar, 27 Sep to 6 Oct, about 100 troops from each side" \
  --date 2021-09-27 --status in_progress \
  --source https://tass.com/defense/1342671 --publisher TASS
say t evidence add "$P2" "DRUZHBA-VII held at Pabbi, Pakistan, 13 to 25 Oct, with 54 Russian personnel; the first army drill since 2021" \
  --date 2024-10-13 --status fulfilled \
  --source https://www.dawn.com/news/1865391/pakistan-russia-commence-joint-military-drill-druzbha-vii-at-pabbi --publisher Dawn
say t evidence add "$P2" "The two navies hold the bilateral exercise Arabian Monsoon-VI in the North Arabian Sea (date of the report)" \
  --date 2025-03-19 \
  --source https://www.app.com.pk/national/pn-rfn-conducted-bilateral-naval-exercise-arabian-monsoon-vi-in-north-arabian-sea/ --publisher "Associated Press of Pakistan"

echo "P3 trade"
say t evidence add "$P3" "Russia lifts its ban on imports of Pakistani rice" \
  --date 2021-06-14 --status in_progress \
  --source https://arynews.tv/en/russia-assures-pakistan-of-providing-5mn-doses-of-sputnik-v-vaccine/ --publisher "ARY News"
say t evidence add "$P3" "Russia's consul-general puts bilateral trade at 697 million dollars, 12 % lower (the year is not stated)" \
  --date 2022-06-11 --stance contradicts \
  --source https://www.brecorder.com/news/40179399/russian-envoy-hopes-bilateral-trade-volume-to-rebound-soon --publisher "Business Recorder"
say t evidence add "$P3" "A first cargo of discounted Russian crude oil (45,000 t) reaches Karachi, a new line of trade; a second (55,000 t) follows on 27 June" \
  --date 2023-06-11 \
  --source https://www.channelnewsasia.com/business/pakistan-pm-says-first-discounted-russian-crude-oil-cargo-arrives-karachi-3554816 --publisher "CNA"
say t evidence add "$P3" "Trade in FY2022-23 reaches 920 million dollars, but Pakistan exports only 74 million against 846 million of imports: the mix has barely widened" \
  --date 2023-10-12 --stance context \
  --source https://www.app.com.pk/business/russian-ambassador-gohar-ejaz-pledge-to-strengthen-bilateral-trade-ties/ --publisher "Associated Press of Pakistan"
say t evidence add "$P3" "Trade in calendar 2023 passes one billion dollars, a record (volume, not diversity)" \
  --date 2024-06-13 --stance context \
  --source https://tass.com/economy/1802631 --publisher TASS
say t evidence add "$P3" "First Pakistan-Russia barter deals signed in Moscow" \
  --date 2024-10-07 \
  --source https://electorat.info/news/13834.html --publisher "electorat.info"
say t evidence add "$P3" "Russia's foreign ministry says the 2023 trade record did not last" \
  --date 2025-12-16 --stance contradicts \
  --source https://1prime.ru/20251216/mid-865602849.html --publisher "Prime"

echo "P4 pipeline construction"
say t evidence add "$P4" "Protocol amending the 2015 intergovernmental agreement signed in Moscow: a 1,100 km pipeline carrying 12.4 bcm a year" \
  --date 2021-05-28 --meets-condition \
  --source https://www.dawn.com/news/1626307/russia-pakistan-agree-to-build-gas-pipeline --publisher Dawn
say t evidence add "$P4" "Heads of terms signed: 74:26 Pakistani-Russian shareholding, 2.5 to 3 billion dollars, completion by the end of 2023" \
  --date 2021-07-15 \
  --source https://www.newsweekpakistan.com/pakistan-russia-ink-agreement-on-pakstream-gas-pipeline/ --publisher "Newsweek Pakistan"
say t edit "$P4" --deadline "end of 2023" --date 2021-07-15 \
  --reason "the heads of terms of 2021-07-15 set completion of the pipeline by the end of 2023"
say t evidence add "$P4" "The Russian side reportedly refuses to discuss the project until Pakistan settles its structure (secondary report)" \
  --date 2023-10-10 --stance contradicts \
  --source https://tabloidpk.com/politics-and-pakistan/pakistans-changes-in-gas-pipeline-disappoint-russia/ --publisher "Tabloid PK"
say t evidence add "$P4" "No commercial agreement has ever been concluded and the project's structure has changed about six times; construction has not begun" \
  --date 2024-05-30 --stance contradicts --status stalled \
  --source https://tribune.com.pk/story/2468951/govt-to-add-storage-facilities-to-gas-stream-project --publisher "The Express Tribune"

echo "P5 vaccines"
say t evidence add "$P5" "First 50,000 Sputnik V doses, a private import, land in Karachi, with 150,000 more expected; this predates the talks and is the batch the pledge builds on" \
  --date 2021-03-18 --stance context --quantity "50000 doses" \
  --source https://www.brecorder.com/news/40075040/first-consignment-of-russian-covid-19-vaccine-sputnik-v-arrives-in-karachi --publisher "Business Recorder"
say t evidence add "$P5" "One million Sputnik V doses, bought by Pakistan's disaster management authority, arrive in Islamabad" \
  --date 2021-09-01 --quantity "1000000 doses" \
  --source https://www.geo.tv/latest/368214-coronavirus-consignment-of-1m-doses-of-russias-sputnik-v-vaccine-reaches-islamabad --publisher "Geo News"
say t evidence add "$P5" "A further 500,000 Sputnik V doses arrive" \
  --date 2021-09-16 --quantity "500000 doses" \
  --source https://arynews.tv/another-0-5m-doses-of-russian-sputnik-vaccine-arrive-in-pakistan/ --publisher "ARY News"

echo "P6 Afghan dialogue"
say t evidence add "$P6" "The Extended Troika (United States, Russia, China, Pakistan) meets in Doha and says the war has no military solution" \
  --date 2021-04-30 \
  --source https://www.sify.com/news/us-russia-china-and-pakistan-call-taliban-to-fulfill-its-counterterrorism-commitments-news-international-vfbkTghgjbehc.html --publisher Sify
say t evidence add "$P6" "The Taliban take Kabul; the war ends without a negotiated settlement between the Afghan parties" \
  --date 2021-08-15 --stance contradicts --status stalled \
  --source https://tass.com/world/1353603 --publisher TASS
say t evidence add "$P6" "The Troika Plus, meeting in Islamabad, urges the Taliban to form an inclusive, representative government" \
  --date 2021-11-11 \
  --source https://www.brecorder.com/news/40132787/troika-plus-calls-on-afghan-taliban-to-form-an-inclusive-representative-govt --publisher "Business Recorder"
say t evidence add "$P6" "Moscow Format talks in Kazan find no progress towards an inclusive Afghan government" \
  --date 2023-09-29 --stance contradicts \
  --source https://amu.tv/67038/ --publisher "Amu TV"
say t evidence add "$P6" "Russia recognises the Taliban government, the first country to do so, without an inclusive settlement" \
  --date 2025-07-03 --stance context --status partial \
  --source https://www.wionews.com/world/russia-becomes-the-1st-country-to-recognise-taliban-government-1751575058741 --publisher WION

echo "P7 Pakistan goes ahead with the pipeline"
say t evidence add "$P7" "Pakistan signs the protocol amending the 2015 pipeline agreement in Moscow; the heads of terms follow on 15 July, with Pakistan to hold 74 %" \
  --date 2021-05-28 --status in_progress \
  --source https://www.dawn.com/news/1626307/russia-pakistan-agree-to-build-gas-pipeline --publisher Dawn
say t evidence add "$P7" "Pakistan asks Russia to raise its stake to 49 % because it cannot fund 74 %" \
  --date 2021-07-28 --stance contradicts \
  --source https://www.thenews.com.pk/print/869743-pakistan-stream-gas-pipeline-pakistan-wants-russia-to-increase-shareholding-up-to-49pc --publisher "The News"
say t evidence add "$P7" "Pakistan has reshaped the project about six times and no commercial deal has been concluded" \
  --date 2024-05-30 --stance contradicts --status stalled \
  --source https://tribune.com.pk/story/2468951/govt-to-add-storage-facilities-to-gas-stream-project --publisher "The Express Tribune"

echo "done: $db"
