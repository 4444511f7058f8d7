"""Write the sample datasets in samples/ from the examples authored in this file.

    .venv/bin/python samples/build.py           # (re)write every file
    .venv/bin/python samples/build.py --check   # exit 1 if a file on disk differs; print the sizes

Every example below was written for this project. The JSONL files are checked in; this script is
their single source, so the Gemini-style generation set is derived from the same pairs as the
article-style one and the two can never drift apart. Output is deterministic: no randomness, one
JSON object per line, keys in a fixed order, UTF-8, "\\n" line endings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CLASSES = ("sarcastic", "not_sarcastic")
CLASSIFY_PROMPT = "Classify the following text as sarcastic or not_sarcastic.\nText: {text}"
REPLY_PROMPT = "Write a sarcastic reply to: {situation}"

S, N = "sarcastic", "not_sarcastic"

# Many sarcastic lines have a plain twin on the same topic, so the label cannot be guessed from
# the subject alone: the model has to read the tone.
CLASSIFICATION_TRAIN: tuple[tuple[str, str], ...] = (
    (S, "Oh great, another meeting that could have been an email. My favourite way to spend a Friday."),
    (N, "The meeting moved to 3 pm, so I will join from the train."),
    (S, "Wow, the printer jammed again. Truly the most reliable machine in the building."),
    (N, "The printer on the second floor is out of toner; I ordered a new cartridge."),
    (N, "My phone installed an update last night and the battery seems to last longer now."),
    (S, "I just love it when my phone updates overnight and moves every button I use."),
    (S, "Sure, I'd be thrilled to fix your laptop on my day off. Nothing I'd rather do."),
    (N, "I can look at your laptop on Monday morning before standup."),
    (N, "It is supposed to be 34 degrees tomorrow, so the office will open an hour early."),
    (S, "Nothing says summer like a heatwave during the one week the air conditioning breaks."),
    (S, "Fantastic, the build passed locally and failed in CI. Exactly what I hoped for."),
    (N, "The build failed in CI because a test depends on the local time zone."),
    (S, "Of course the bus is late. It would be rude to break such a perfect record."),
    (N, "The bus was ten minutes late this morning because of roadworks on the bridge."),
    (N, "Please reply only to me; the rest of the team does not need the thread."),
    (S, "Yes, please reply-all to the whole company. Everyone needed to know you agree."),
    (S, "What a surprise, the 'quick five-minute fix' took the entire afternoon."),
    (N, "The fix took longer than planned because the config was stored in two places."),
    (S, "I'm so glad the cloud bill arrived. I was worried I had too much money."),
    (N, "The cloud bill for March was lower than February after we deleted the idle disks."),
    (N, "The self-checkout asked for help because the scale did not recognise the bag."),
    (S, "Love how the self-checkout needs a staff member for every single item."),
    (S, "Brilliant idea to schedule the deploy for Friday at 5 pm. What could go wrong?"),
    (N, "We deploy on Tuesdays so there is time to watch the metrics before the weekend."),
    (S, "Thanks for the feedback on my code. 'Looks weird' was incredibly actionable."),
    (N, "Thanks for the review; the note about the missing null check was very helpful."),
    (N, "The neighbours are renovating their kitchen, so it may be noisy this week."),
    (S, "My neighbour's drill at 7 am on a Sunday is just the alarm clock I always wanted."),
    (S, "Great, the Wi-Fi works perfectly everywhere except the room I actually sit in."),
    (N, "The Wi-Fi signal is weak in the back room, so we are adding a second access point."),
    (S, "Another password rule? Wonderful. I was running out of ways to forget them."),
    (N, "The new password policy requires at least fourteen characters."),
    (N, "The security training is due at the end of the month and takes about an hour."),
    (S, "Oh good, the 'optional' training is mandatory and due by tomorrow."),
    (S, "Yes, I absolutely enjoy being on hold for forty minutes. The music is a delight."),
    (N, "I was on hold for a while, but the agent sorted out the refund quickly."),
    (S, "Nice of the GPU quota request to take a week. I needed a holiday anyway."),
    (N, "Our GPU quota increase was approved after two days."),
    (N, "We booked a table for eight at the Thai place near the station."),
    (S, "Clearly the best place for a team lunch is the one restaurant with no vegetarian options."),
    (S, "Amazing, the documentation says 'it just works'. It does not, but what a lovely thought."),
    (N, "The documentation has a step-by-step guide for setting up the service account."),
    (S, "I'm thrilled my flight got delayed again. Airports are my favourite place to live."),
    (N, "My flight is delayed by two hours, so I will miss the first session."),
    (N, "It started raining on the way home, but I had an umbrella in my bag."),
    (S, "Of course the one day I forget my umbrella is the day it rains sideways."),
    (S, "Wonderful, a fourth dashboard to tell me the same number as the other three."),
    (N, "The new dashboard shows training loss and cost per run on the same page."),
    (S, "Sure, let's add one more 'small' feature the day before the release."),
    (N, "We moved the export feature to the next release to keep this one on schedule."),
    (N, "Autocorrect changed the customer's name, so I sent the email again."),
    (S, "Great job, autocorrect. 'Duck' was definitely the word I meant."),
    (S, "Love that the coffee machine breaks on the morning after the release party."),
    (N, "The coffee machine is being repaired and should work again by noon."),
    (S, "Yes, the two-hour all-hands with no agenda was exactly the energy boost I needed."),
    (N, "The all-hands will cover the roadmap and the hiring plan, with questions at the end."),
    (N, "The test suite runs in about four minutes on the CI machines."),
    (S, "Such a treat to find out the test suite takes forty minutes right after I push."),
    (S, "Oh wonderful, my 'unlimited' data plan slows to a crawl after two gigabytes."),
    (N, "My phone plan includes ten gigabytes of data a month."),
)

CLASSIFICATION_VALIDATION: tuple[tuple[str, str], ...] = (
    (S, "Oh perfect, the elevator is out of order on the day I carry the new monitors."),
    (N, "The elevator will be serviced on Thursday, so please use the stairs that morning."),
    (N, "I cleaned up the spreadsheet and removed the duplicate rows."),
    (S, "I love spending my evening untangling a spreadsheet someone 'cleaned up'."),
    (S, "Great, my code review is blocked on someone who is on holiday for three weeks."),
    (N, "My reviewer is away this week, so I asked Priya to take a look instead."),
    (N, "The car park now charges by the hour instead of a daily rate."),
    (S, "What a relief, the parking fees went up again. I was hoping to pay more for less."),
    (S, "Wow, a login page that forgets me every five minutes. So secure, so convenient."),
    (N, "The session timeout is fifteen minutes for the admin console."),
    (N, "The train has free wifi in every carriage."),
    (S, "Thrilled that the train wifi costs more than the ticket."),
    (S, "Yes, please explain my own project to me in the meeting. I had no idea what it did."),
    (N, "She summarised the project for the new team members at the start of the meeting."),
    (N, "The tuning job finished in two hours and stayed within the budget."),
    (S, "Fantastic, the tuning job finished right after the budget alert fired. Great timing."),
)

# (situation, sarcastic reply): dry, on topic, never cruel.
GENERATION_TRAIN: tuple[tuple[str, str], ...] = (
    (
        "My manager scheduled a meeting to discuss why we have too many meetings.",
        "Bold move. Nothing fixes meeting overload like one more meeting about it.",
    ),
    (
        "The app asks me to rate it every time I open it.",
        "Five stars for persistence. Zero for reading the room.",
    ),
    (
        "It rained the whole day of our outdoor team-building event.",
        "Nothing builds a team like shared hypothermia. Truly a bonding experience.",
    ),
    (
        "My code works but I don't know why.",
        "Congratulations, you've reached the highest form of engineering: faith.",
    ),
    (
        "The train was cancelled, so I took a bus that was also late.",
        "At least public transport is consistent. Consistently late, but consistent.",
    ),
    (
        "My roommate left one bite of cake in the box so it wasn't 'finished'.",
        "How generous. That single bite really honours the spirit of sharing.",
    ),
    (
        "The 'urgent' request I stayed late for hasn't been looked at in a week.",
        "Urgent in the timeless sense, clearly. It will be urgent forever.",
    ),
    (
        "I bought a 'smart' fridge and now it needs a firmware update.",
        "Finally, a fridge that can fail to boot. Progress.",
    ),
    (
        "Someone microwaved fish in the office kitchen again.",
        "Ah yes, the aromatic reminder that we all share one ventilation system.",
    ),
    (
        "My flight has a nine-hour layover.",
        "Lucky you. Most people have to pay extra for a whole day in an airport.",
    ),
    (
        "The website says my password is too weak but won't let me use symbols.",
        "Security by inconvenience. Hackers will surely give up out of boredom.",
    ),
    (
        "Our team's standup meeting lasted an hour.",
        "Impressive. Standing for an hour is basically a fitness plan.",
    ),
    (
        "The printer says it's out of paper but the tray is full.",
        "The printer has simply evolved beyond our understanding of paper.",
    ),
    (
        "I left my laptop charger at home on the day of my big presentation.",
        "A bold strategy: keep the talk short and let the battery decide when it ends.",
    ),
    (
        "My cat knocked my coffee onto the keyboard.",
        "Your cat is clearly a QA engineer. It found the weakest component in minutes.",
    ),
    (
        "The cloud bill was three times what we estimated.",
        "Only three times? Your estimate was practically prophetic.",
    ),
    (
        "Someone replied 'thanks!' to a company-wide email and everyone got it.",
        "Gratitude at scale. The whole company feels appreciated, and slightly interrupted.",
    ),
    (
        "The restaurant took an hour to bring our salads.",
        "They must have grown the lettuce to order. Very fresh.",
    ),
    ("My phone battery died at 40 percent.", "Your phone counts like an optimistic project manager."),
    (
        "The new office chairs are beautiful but incredibly uncomfortable.",
        "Art you can sit on, briefly, in pain. Very modern.",
    ),
    (
        "I spent two hours on a bug that turned out to be a missing comma.",
        "Two hours for one comma. That is some very expensive punctuation.",
    ),
    ("The weather app said sunny and it snowed.", "Technically the sun was out. Somewhere. Above the snow."),
    (
        "My neighbour started learning the trumpet.",
        "How lovely. Free concerts, whether you bought a ticket or not.",
    ),
    (
        "Our release was delayed because the release checklist was missing.",
        "A checklist for the checklist. Now that's real process.",
    ),
    (
        "The gym is packed every January.",
        "Ah, the annual migration of the resolution herd. It thins out by February.",
    ),
    (
        "My package was marked delivered but it isn't here.",
        "Delivered in spirit. The box is on a journey of self-discovery.",
    ),
    (
        "The documentation for the library is a single sentence.",
        "Concise. Why waste words when you can waste the reader's afternoon instead?",
    ),
    (
        "My code review has 57 comments about whitespace.",
        "Good to see the team focusing on what truly matters: the invisible parts.",
    ),
    (
        "The coffee shop changed its name and doubled its prices.",
        "Ah, the rebrand tax. The coffee even tastes twice as expensive now.",
    ),
    (
        "My alarm didn't go off because I set it for PM.",
        "A relaxing start to the evening, just twelve hours early.",
    ),
    (
        "The GPU quota request was denied with no reason given.",
        "Mysterious and efficient. Why explain when you can simply say no?",
    ),
    (
        "I got a parking ticket while I was paying for parking.",
        "Impressive timing from the wardens. Olympic-level reflexes.",
    ),
    (
        "The team lunch was scheduled on my day off.",
        "Nothing says 'we value you' like a lunch you can't attend.",
    ),
    (
        "My tuning job ran for six hours and then failed on the last step.",
        "So close. It just wanted to leave you something to look forward to tomorrow.",
    ),
    (
        "The meeting invite has no agenda and no description.",
        "A mystery meeting. Bring snacks and a sense of adventure.",
    ),
    (
        "My headphones broke one day after the warranty ended.",
        "Precision engineering. They clearly read the warranty too.",
    ),
    (
        "The new software update removed the only feature I used.",
        "Streamlined. They simplified it right down to the things you don't need.",
    ),
    (
        "Someone ate my labelled lunch from the office fridge.",
        "The label must have read like an invitation. 'Please enjoy'.",
    ),
    (
        "The hotel's 'sea view' is a car park with a puddle.",
        "Technically water, technically a view. Marketing at its finest.",
    ),
    (
        "My friend said the hike would be easy. It was seven hours uphill.",
        "Easy is relative. Compared to climbing Everest, it was a stroll.",
    ),
    (
        "The support bot keeps asking if I tried turning it off and on again.",
        "Thorough. It won't rest until your router has rebooted into the afterlife.",
    ),
    (
        "I was told the job needs 'a bit of overtime'. It's every weekend.",
        "A bit, yes. Just a bit of every weekend, forever.",
    ),
    ("My dog ignores me until I open a bag of crisps.", "A true friend. Loyal to the very end of the bag."),
    (
        "The spreadsheet has 40 tabs and no one knows which one is current.",
        "Version control, spreadsheet edition: pick a tab and hope.",
    ),
    (
        "The train announcement said 'minor delays'. We waited an hour.",
        "Minor in geological time. Barely a blink for the planet.",
    ),
    (
        "My teenager says they'll clean their room 'later'.",
        "Later is a beautiful idea. Some say no one has ever reached it.",
    ),
    (
        "The vending machine took my money and gave me nothing.",
        "Ah, a donation machine. Very charitable of you.",
    ),
    (
        "The kickoff meeting was rescheduled for the fifth time.",
        "At this rate the project will finish before it starts. Efficient.",
    ),
    (
        "My Wi-Fi drops every time I start a video call.",
        "Your router is just shy. It doesn't like being on camera.",
    ),
    (
        "My colleague sent a 'quick question' that was four paragraphs long.",
        "Quick to send, anyway. Reading it is a separate project.",
    ),
    (
        "The tuning dataset had the labels in the wrong column.",
        "A creative take on supervised learning. The model will be confused, and so will you.",
    ),
    (
        "The streaming service raised its prices and added ads.",
        "Paying more to watch more commercials. What a time to be alive.",
    ),
    (
        "I finished my to-do list and my boss added ten more items.",
        "The reward for good work is more work. Ancient wisdom.",
    ),
    (
        "My laptop fan sounds like a jet engine when I open a browser.",
        "At least it's ready for take-off. A very ambitious laptop.",
    ),
    (
        "The 'five-minute' survey took thirty minutes.",
        "Five minutes in survey time. It runs on its own clock.",
    ),
    (
        "They renamed the project for the third time this quarter.",
        "Good. It was getting dangerously close to being recognisable.",
    ),
    (
        "I missed the bus by ten seconds.",
        "The driver waited exactly long enough for you to watch it leave. Very considerate.",
    ),
    (
        "The elevator stops at every floor even when no one presses a button.",
        "A very thorough elevator. It likes to check on everyone personally.",
    ),
    (
        "My plant died even though I watered it every day.",
        "You loved it to death. Literally. Very devoted of you.",
    ),
    (
        "The budget alert email arrived after the budget was spent.",
        "A prompt notice that the money is gone. Very reassuring hindsight.",
    ),
)

GENERATION_VALIDATION: tuple[tuple[str, str], ...] = (
    (
        "My laptop restarted for updates in the middle of a demo.",
        "Great timing. Audiences love a surprise intermission.",
    ),
    (
        "The shop's 'sale' price is higher than last week's regular price.",
        "A sale for the shop, clearly. Very generous to themselves.",
    ),
    (
        "My train seat reservation was for a carriage that doesn't exist.",
        "An exclusive seat. So exclusive that not even the train has it.",
    ),
    (
        "My colleague booked a meeting called 'Quick sync' for three hours.",
        "Quick by geological standards. Bring a sleeping bag.",
    ),
    (
        "The pizza arrived cold and an hour late.",
        "Artisanal, slow-delivered, naturally chilled pizza. Very on trend.",
    ),
    (
        "The app's dark mode is just a slightly darker grey.",
        "Dusk mode. For people who like their eyes a little confused.",
    ),
    (
        "My one-line pull request needs approval from four teams.",
        "One line, four teams. That's a lot of governance per character.",
    ),
    ("My landlord fixed the leak by putting a bucket under it.", "Elegant. A water feature, free of charge."),
    (
        "It took three tries to explain the problem to the chatbot.",
        "Only three? The chatbot must be having a brilliant day.",
    ),
    ("The hotel breakfast ends at 7 am.", "Breakfast for people who never sleep. Very exclusive."),
    (
        "My training job has been 'queued' all day.",
        "It's building anticipation. Great jobs always make an entrance.",
    ),
    (
        "Our team was told to 'do more with less' again.",
        "Wonderful. Next year we'll do everything with nothing.",
    ),
    (
        "The bike lane ends in the middle of a roundabout.",
        "Brave design. It teaches cyclists to believe in themselves.",
    ),
    (
        "My phone's storage is full of photos of receipts.",
        "A thrilling gallery. Your future biographer will be delighted.",
    ),
    (
        "The quarterly report has to be printed and signed by hand.",
        "Ah, digital transformation, one wet signature at a time.",
    ),
    (
        "The tutorial skips the only step I didn't understand.",
        "Naturally. The tutorial believes in you more than you do.",
    ),
)

# (situation, preferred, rejected). The preferred reply is sarcastic, on topic and not cruel; the
# rejected one misses in a way a reward model should learn to notice: sincere advice instead of
# sarcasm, an insult, an off-topic line, or a flat non-answer.
PREFERENCE_TRAIN: tuple[tuple[str, str, str], ...] = (
    (
        "My coworker microwaves popcorn at 9 am every day.",
        "Breakfast of champions, and a free fire drill for the rest of us.",
        "Popcorn is a whole-grain snack that is high in fibre.",
    ),
    (
        "The project deadline moved up by two weeks.",
        "Perfect. I was worried we had enough time to do it properly.",
        "That sounds stressful; maybe ask your manager for more people.",
    ),
    (
        "The conference Wi-Fi password is on a poster behind the stage.",
        "A treasure hunt. Networking in the truest sense of the word.",
        "Anyone who can't find a password on a poster is an idiot.",
    ),
    (
        "My smartwatch told me to stand up during a funeral.",
        "Always on top of your health, if not your manners.",
        "You can turn off the stand reminder in the watch's settings.",
    ),
    (
        "The team chat had 400 unread messages after lunch.",
        "Lunch is clearly a dangerous time to stop paying attention.",
        "Ok.",
    ),
    (
        "My new shoes gave me blisters on the first day.",
        "Great shoes. They really help you appreciate sitting down.",
        "The weather is supposed to be nice this weekend.",
    ),
    (
        "The office thermostat is locked at 16 degrees.",
        "Very thoughtful. It keeps us fresh, like vegetables.",
        "People who complain about the cold are just weak.",
    ),
    (
        "My report was rejected because of the font.",
        "Content is overrated. Typography is what wins quarters.",
        "Use the corporate template next time; it sets the font for you.",
    ),
    (
        "My sister borrowed my car and returned it with an empty tank.",
        "How kind of her to leave the car so light and aerodynamic.",
        "That is annoying. You should talk to her about it.",
    ),
    (
        "Our office got a ping-pong table instead of pay rises.",
        "Perfect. Now I can practise dodging the rent.",
        "Ping-pong tables can improve morale and team bonding.",
    ),
    (
        "My phone autocorrected 'meeting' to 'meating' in an email to the CEO.",
        "A bold pitch for a bigger catering budget.",
        "Your CEO probably thinks you can't spell now.",
    ),
    (
        "The installation guide has 47 steps.",
        "Only 47? They must have left out the fun ones.",
        "Follow the steps in order and it should work.",
    ),
    (
        "My neighbour's car alarm goes off every night at 3 am.",
        "Nice of them to help you stay in touch with the small hours.",
        "I recommend a good pair of running shoes.",
    ),
    (
        "The hotel charged me for the minibar I never opened.",
        "You must have eaten those crisps spiritually.",
        "Call the front desk and ask them to remove the charge.",
    ),
    (
        "I was added to the group chat for a party I'm not invited to.",
        "Front-row seats to the planning of a party you'll miss. Very exclusive.",
        "It's probably a mistake; just leave the chat.",
    ),
    (
        "The laptop I ordered arrived with a different keyboard layout.",
        "Think of it as a free language course for your fingers.",
        "Return it, obviously. How is that hard to figure out?",
    ),
    (
        "My flatmate washes one spoon at a time.",
        "Admirable. Why waste a whole sink on efficiency?",
        "Some people prefer to wash dishes as they go.",
    ),
    (
        "The quarterly planning took longer than the quarter.",
        "At least the plan will be accurate, since it's now history.",
        "Plan less next time.",
    ),
    (
        "The bank's app is down for maintenance every weekend.",
        "Money needs its weekends off too. It works so hard.",
        "Online banking outages are common during maintenance windows.",
    ),
    (
        "My boss replied 'noted' to my resignation letter.",
        "Such warmth. You'll miss those heartfelt conversations.",
        "Your boss is a terrible person and you should tell everyone.",
    ),
    (
        "My evaluation metric went up but the model's outputs got worse.",
        "A triumph for the metric. The users can celebrate in spirit.",
        "Check whether the metric measures what you actually care about.",
    ),
    (
        "Our cloud project had a budget of zero and a bill of 200 dollars.",
        "Only infinitely over budget. A rounding error, really.",
        "Set a budget alert so it doesn't happen again.",
    ),
    (
        "The cafe's loyalty card needs 50 stamps for one free coffee.",
        "By the time you earn it, coffee will be a nostalgic luxury.",
        "I don't drink coffee.",
    ),
    (
        "My one-hour flight was delayed by five hours.",
        "A one-hour flight with a five-hour warm-up. Very thorough.",
        "Delays are often caused by weather or crew scheduling.",
    ),
    (
        "The self-driving demo car drove into a hedge.",
        "Bold route planning. The hedge never saw it coming.",
        "Whoever built that car should be fired immediately.",
    ),
    (
        "My training run finished but I forgot to save the model.",
        "A beautiful, fleeting model. Like a sandcastle, only more expensive.",
        "Add a checkpointing step to your pipeline.",
    ),
    (
        "The shop asked for my email address to sell me a pencil.",
        "Of course. How else would the pencil keep in touch?",
        "Many shops collect email addresses for marketing.",
    ),
    (
        "The marathon route passes my house and I can't get out of the driveway.",
        "Wonderful. Your car gets to cheer on the runners all day.",
        "Marathons usually close roads for several hours.",
    ),
    (
        "My colleague starts every message with 'per my last email'.",
        "A warm, friendly phrase that has never once started a feud.",
        "It means they think they already answered your question.",
    ),
    (
        "The museum's audio guide ran out of battery halfway through.",
        "A silent tour. Very avant-garde.",
        "Ask the staff for a replacement.",
    ),
    (
        "I said I'd be five minutes late and I was forty minutes late.",
        "Close enough. Minutes are more of a suggestion anyway.",
        "You are always late and everyone is sick of it.",
    ),
    (
        "The online form cleared itself after I filled in every field.",
        "It just wanted to spend more time with you.",
        "Save a draft as you go so you don't lose your answers.",
    ),
    (
        "My toddler woke up at 4:30 and declared it morning.",
        "The early bird gets the worm, and the exhausted parents.",
        "Toddlers' sleep patterns often change as they grow.",
    ),
    (
        "The security scanner flagged our README as a risk.",
        "Finally, someone takes documentation seriously.",
        "Check the scanner's rules for false positives.",
    ),
    (
        "The new team mascot is a stapler with googly eyes.",
        "Inspiring. I finally feel seen, by office supplies.",
        "Mascots can help build a team identity.",
    ),
    (
        "My dinner guests arrived two hours early.",
        "How considerate, letting you cook in front of a live audience.",
        "Serve some snacks while you finish cooking.",
    ),
    (
        "The map app sent me down a road that ends in a lake.",
        "It was showing you the scenic route. Very scenic. Very wet.",
        "Report the error so the map gets fixed.",
    ),
    (
        "My quota increase was approved for the wrong region.",
        "Great news for a region you will never use. Very generous.",
        "Submit a new request for the correct region.",
    ),
    (
        "The instructions say 'easy assembly' and there are 300 screws.",
        "Easy for the screws. They just have to sit there.",
        "Lay out all the parts before you start.",
    ),
    (
        "My phone suggests bedtime mode during my morning commute.",
        "Honestly, it has a point. Nobody should be awake for this commute.",
        "You can change the schedule in the settings.",
    ),
    (
        "Our 'quick' architecture discussion is now in its fourth week.",
        "Quick in the way continents drift. Give it a few more epochs.",
        "Set a time box and write the decision down.",
    ),
    (
        "The printer needs a software update before it will print a single page.",
        "Of course. Paper is a serious commitment; it has to be ready.",
        "Printers are the worst and I hate every one of them.",
    ),
)

# Same shape as the preference set: the pipeline computes reward-model metrics from it.
PREFERENCE_EVAL: tuple[tuple[str, str, str], ...] = (
    (
        "My umbrella turned inside out in the first gust of wind.",
        "Great umbrella. Very open to new ideas.",
        "Buy a windproof umbrella next time.",
    ),
    (
        "The coffee machine at work now requires an app.",
        "Finally. Coffee was far too easy to get before.",
        "Download the app and register with your work email.",
    ),
    (
        "My friend told me the ending of the film before I saw it.",
        "So thoughtful. Now you can relax through the whole film.",
        "Your friend is a horrible person.",
    ),
    (
        "The car park is full and the sign says 'spaces available'.",
        "Available in theory. Parking is a state of mind.",
        "Try the car park on the next street.",
    ),
    (
        "My model's validation loss went down and so did its test accuracy.",
        "The model is learning. Just not anything you asked for.",
        "You may be overfitting to the validation set.",
    ),
    (
        "Our sprint retrospective was cancelled because we were too busy.",
        "Too busy to learn why we're too busy. Flawless logic.",
        "Retrospectives help teams improve.",
    ),
    (
        "The airline lost my bag on a direct flight.",
        "Impressive. Most airlines need a connection to manage that.",
        "File a report at the baggage desk.",
    ),
    (
        "My sourdough starter has more followers than I do.",
        "Well deserved. It does all the rising in that relationship.",
        "Post more photos to grow your account.",
    ),
)

# Prompts for the reinforcement-learning stage: the tuned policy writes replies, the reward model
# scores them. Situations here appear in no other set.
RLHF_PROMPTS: tuple[str, ...] = (
    "My laptop decided to restart during a video call with a client.",
    "The office moved to open-plan seating to 'improve focus'.",
    "The recipe said ten minutes and took an hour.",
    "My bank sent me a paper letter asking me to go paperless.",
    "The forecast promised sunshine for my day off. It hailed.",
    "My colleague booked a meeting to plan the next planning meeting.",
    "The new intern pushed straight to the main branch.",
    "My 'express' delivery is arriving next month.",
    "The tuning job used our whole monthly budget in one afternoon.",
    "My car's warning light came on the day after its service.",
    "The team dinner was at a restaurant with a two-hour wait.",
    "My internet provider calls the outage 'a feature of the network'.",
    "My favourite cafe closed the day after I bought a loyalty card.",
    "The new expense system needs eleven clicks to submit a coffee receipt.",
    "My neighbour mows the lawn every morning at 6 am.",
    "Our standup now has a pre-standup.",
    "The software licence costs more than the laptop it runs on.",
    "The fire drill happened during the heaviest rain of the year.",
    "My smart speaker only understands me when I shout.",
    "The project kickoff deck has 120 slides.",
)


# Reinforcement fine-tuning of Gemini: prompts with a reference answer, no model turn. The model
# answers inside <answer></answer>, which the sample reward configs extract. Problems are made by a
# fixed rule (no randomness); the first 40 train, the next 10 validate, and none repeats.
ARITHMETIC_SYSTEM = (
    "Solve the arithmetic problem. Think briefly if you need to, then give only the final integer "
    "inside <answer></answer>."
)
ARITHMETIC_TRAIN_COUNT = 40
ARITHMETIC_VALIDATION_COUNT = 10


def arithmetic_problems() -> list[tuple[str, int]]:
    """(question, answer) pairs: sums, differences and products of small integers."""
    problems = []
    for i in range(ARITHMETIC_TRAIN_COUNT + ARITHMETIC_VALIDATION_COUNT):
        a, b = 12 + (i * 37) % 89, 3 + (i * 11) % 23
        if i % 3 == 0:
            problems.append((f"What is {a} + {b}?", a + b))
        elif i % 3 == 1:
            problems.append((f"What is {a} - {b}?", a - b))
        else:
            problems.append((f"What is {a} times {b}?", a * b))
    return problems


def reinforcement_rows(problems: list[tuple[str, int]]) -> list[dict[str, object]]:
    return [
        {
            "systemInstruction": {"parts": [{"text": ARITHMETIC_SYSTEM}]},
            "contents": [{"role": "user", "parts": [{"text": question}]}],
            "references": {"answer": str(answer)},
        }
        for question, answer in problems
    ]


def canned_responses(problems: list[tuple[str, int]]) -> list[dict[str, object]]:
    """One response per training line (`example` is its 1-based line number): mostly right, some
    wrong by one, some without the <answer> tag, so every sample reward has something to separate."""
    rows: list[dict[str, object]] = []
    for line, (question, answer) in enumerate(problems, start=1):
        if line % 5 == 0:
            text = f"The answer is {answer}."  # right number, wrong format
        elif line % 4 == 0:
            text = f"<answer>{answer + 1}</answer>"  # wrong by one
        elif line % 3 == 0:
            text = f"{question[8:-1]} = {answer}. <answer>{answer}</answer>"  # reasoning, then the answer
        else:
            text = f"<answer>{answer}</answer>"
        rows.append({"example": line, "response": text})
    return rows


def classification_rows(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, object]]:
    return [{"input_text": CLASSIFY_PROMPT.format(text=text), "output_text": label} for label, text in pairs]


def generation_rows(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, object]]:
    return [
        {"input_text": REPLY_PROMPT.format(situation=situation), "output_text": reply}
        for situation, reply in pairs
    ]


def gemini_rows(article_rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The article-style rows as Gemini `contents`: input_text is the user turn, output_text the model
    turn. No systemInstruction, so the file is exactly the converted article set."""
    return [
        {
            "contents": [
                {"role": "user", "parts": [{"text": row["input_text"]}]},
                {"role": "model", "parts": [{"text": row["output_text"]}]},
            ]
        }
        for row in article_rows
    ]


def preference_rows(triples: tuple[tuple[str, str, str], ...]) -> list[dict[str, object]]:
    """The preferred reply alternates between candidate_0 and candidate_1, so position says nothing."""
    rows: list[dict[str, object]] = []
    for index, (situation, preferred, rejected) in enumerate(triples):
        choice = index % 2
        candidates = (preferred, rejected) if choice == 0 else (rejected, preferred)
        rows.append(
            {
                "input_text": REPLY_PROMPT.format(situation=situation),
                "candidate_0": candidates[0],
                "candidate_1": candidates[1],
                "choice": choice,
            }
        )
    return rows


def render() -> dict[str, list[dict[str, object]]]:
    """Every sample file, by path relative to samples/, with its rows."""
    generation_train = generation_rows(GENERATION_TRAIN)
    generation_validation = generation_rows(GENERATION_VALIDATION)
    arithmetic = arithmetic_problems()
    return {
        "sarcasm-classification/train.jsonl": classification_rows(CLASSIFICATION_TRAIN),
        "sarcasm-classification/validation.jsonl": classification_rows(CLASSIFICATION_VALIDATION),
        "sarcasm-generation/train.jsonl": generation_train,
        "sarcasm-generation/validation.jsonl": generation_validation,
        "sarcasm-generation-gemini/train.jsonl": gemini_rows(generation_train),
        "sarcasm-generation-gemini/validation.jsonl": gemini_rows(generation_validation),
        "sarcasm-preference/train.jsonl": preference_rows(PREFERENCE_TRAIN),
        "sarcasm-preference/eval.jsonl": preference_rows(PREFERENCE_EVAL),
        "sarcasm-preference/prompts.jsonl": [
            {"input_text": REPLY_PROMPT.format(situation=situation)} for situation in RLHF_PROMPTS
        ],
        "arithmetic-reinforcement/train.jsonl": reinforcement_rows(arithmetic[:ARITHMETIC_TRAIN_COUNT]),
        "arithmetic-reinforcement/validation.jsonl": reinforcement_rows(arithmetic[ARITHMETIC_TRAIN_COUNT:]),
        "arithmetic-reinforcement/responses.jsonl": canned_responses(arithmetic[:ARITHMETIC_TRAIN_COUNT]),
    }


def to_jsonl(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for relative, rows in render().items():
        path = HERE / relative
        text = to_jsonl(rows)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(relative)
            else:
                print(f"{relative:45} {len(rows):4} examples")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            from ops.atomic import atomic_write_text  # only when writing: --check needs no install

            atomic_write_text(path, text)
            print(f"wrote {relative} ({len(rows)} examples)")
    if stale:
        print(f"out of date: {', '.join(stale)}; run: .venv/bin/python samples/build.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
