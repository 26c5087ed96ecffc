"""What Maya Chen studies: her four courses with their topics (prerequisite chains), the
assessments of the semester relative to today, and her graded results. Data only; the seeding
is in `demo_student`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from db.enums import AssessmentType, Difficulty


@dataclass(frozen=True, slots=True)
class DemoTopic:
    name: str
    difficulty: Difficulty
    prerequisites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DemoCourse:
    code: str
    name: str
    instructor: str
    credit_hours: float
    color: str
    topics: tuple[DemoTopic, ...]


@dataclass(frozen=True, slots=True)
class DemoAssessment:
    """Due `days` after (negative: before) today, at `at` local time."""

    course: str
    name: str
    type: AssessmentType
    weight: float
    days: int
    at: time
    minutes: int
    topics: tuple[tuple[str, float], ...]  # (topic name, weight in the assessment), sums to 100
    max_score: float = 100.0


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Maya's graded attempt at a past assessment: per topic (correct, total) answers."""

    assessment: str
    course: str
    minutes: int
    breakdown: tuple[tuple[str, int, int], ...]


E, M, H, X = Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD, Difficulty.EXAM_LEVEL
QUIZ, HOMEWORK, MIDTERM, PROJECT = (
    AssessmentType.QUIZ,
    AssessmentType.ASSIGNMENT,
    AssessmentType.MIDTERM,
    AssessmentType.PROJECT,
)

COURSES: tuple[DemoCourse, ...] = (
    DemoCourse(
        "MATH 2413",
        "Calculus I",
        "Dr. Elena Alvarez",
        4.0,
        "#2563EB",
        (
            DemoTopic("Functions and Graphs Review", E),
            DemoTopic("Limits", M, ("Functions and Graphs Review",)),
            DemoTopic("Limit Laws", E, ("Limits",)),
            DemoTopic("Continuity and the IVT", M, ("Limit Laws",)),
            DemoTopic("Definition of the Derivative", M, ("Limit Laws",)),
            DemoTopic("Basic Differentiation Rules", E, ("Definition of the Derivative",)),
            DemoTopic("Product and Quotient Rules", M, ("Basic Differentiation Rules",)),
            DemoTopic("Chain Rule", H, ("Product and Quotient Rules",)),
            DemoTopic("Implicit Differentiation", H, ("Chain Rule",)),
            DemoTopic("Related Rates", X, ("Implicit Differentiation",)),
            DemoTopic(
                "Curve Sketching", H, ("Product and Quotient Rules", "Continuity and the IVT")
            ),
            DemoTopic("Optimization", X, ("Curve Sketching",)),
        ),
    ),
    DemoCourse(
        "CSE 110",
        "Introduction to Programming",
        "Prof. Samuel Okafor",
        3.0,
        "#059669",
        (
            DemoTopic("Variables and Expressions", E),
            DemoTopic("Conditionals", E, ("Variables and Expressions",)),
            DemoTopic("Loops", M, ("Conditionals",)),
            DemoTopic("Functions", M, ("Loops",)),
            DemoTopic("Lists and Tuples", M, ("Loops",)),
            DemoTopic("Strings and Text Processing", M, ("Lists and Tuples",)),
            DemoTopic("Dictionaries and Sets", M, ("Lists and Tuples",)),
            DemoTopic("File Input and Output", M, ("Strings and Text Processing", "Functions")),
            DemoTopic("Recursion", H, ("Functions",)),
            DemoTopic("Classes and Objects", H, ("Dictionaries and Sets", "Functions")),
            DemoTopic("Testing and Debugging", M, ("Functions",)),
        ),
    ),
    DemoCourse(
        "CHEM 1411",
        "General Chemistry I",
        "Dr. Priya Raman",
        4.0,
        "#DC2626",
        (
            DemoTopic("Measurement and Significant Figures", E),
            DemoTopic("Atomic Structure", M, ("Measurement and Significant Figures",)),
            DemoTopic("The Mole and Molar Mass", M, ("Measurement and Significant Figures",)),
            DemoTopic("Stoichiometry", H, ("The Mole and Molar Mass",)),
            DemoTopic("Solution Chemistry", M, ("Stoichiometry",)),
            DemoTopic("Gas Laws", M, ("The Mole and Molar Mass",)),
            DemoTopic("Thermochemistry", H, ("Stoichiometry",)),
            DemoTopic("Electron Configuration", M, ("Atomic Structure",)),
            DemoTopic("Periodic Trends", M, ("Electron Configuration",)),
            DemoTopic("Chemical Bonding and Lewis Structures", H, ("Periodic Trends",)),
        ),
    ),
    DemoCourse(
        "HIST 1301",
        "United States History I",
        "Prof. Daniel Whitfield",
        3.0,
        "#D97706",
        (
            DemoTopic("Colonial America", E),
            DemoTopic("Road to Revolution", M, ("Colonial America",)),
            DemoTopic("The American Revolution", M, ("Road to Revolution",)),
            DemoTopic("The Constitution and the Early Republic", H, ("The American Revolution",)),
            DemoTopic("Jacksonian Democracy", M, ("The Constitution and the Early Republic",)),
            DemoTopic("Westward Expansion", M, ("Jacksonian Democracy",)),
            DemoTopic("The Sectional Crisis", H, ("Westward Expansion",)),
            DemoTopic("Civil War and Reconstruction", X, ("The Sectional Crisis",)),
        ),
    ),
)

EVENING, MORNING, AFTERNOON = time(23, 59), time(10, 0), time(14, 0)

# Already graded (negative days) and still to come over the next six weeks. Per course the weights
# stay below 100: the final exams are not entered yet (`assessments_complete` is false).
# fmt: off
ASSESSMENTS: tuple[DemoAssessment, ...] = (
    DemoAssessment("MATH 2413", "Midterm 1", MIDTERM, 20, -27, MORNING, 75,
                   (("Limits", 35), ("Limit Laws", 25), ("Continuity and the IVT", 40))),
    DemoAssessment("MATH 2413", "Quiz 1: Derivatives", QUIZ, 5, -13, MORNING, 20,
                   (("Definition of the Derivative", 60), ("Basic Differentiation Rules", 40)),
                   max_score=20),
    DemoAssessment("MATH 2413", "Homework 6: Chain Rule", HOMEWORK, 5, 3, EVENING, 120,
                   (("Product and Quotient Rules", 40), ("Chain Rule", 60))),
    DemoAssessment("MATH 2413", "Quiz 2: Implicit Differentiation", QUIZ, 5, 9, MORNING, 20,
                   (("Chain Rule", 30), ("Implicit Differentiation", 70)), max_score=20),
    DemoAssessment("MATH 2413", "Midterm 2", MIDTERM, 20, 16, MORNING, 75,
                   (("Product and Quotient Rules", 20), ("Chain Rule", 25),
                    ("Implicit Differentiation", 25), ("Related Rates", 30))),
    DemoAssessment("MATH 2413", "Homework 8: Curve Sketching", HOMEWORK, 5, 30, EVENING, 150,
                   (("Curve Sketching", 100),)),

    DemoAssessment("CSE 110", "Lab 4: Loops", HOMEWORK, 4, -17, EVENING, 90,
                   (("Loops", 70), ("Conditionals", 30)), max_score=20),
    DemoAssessment("CSE 110", "Lab 5: Lists", HOMEWORK, 4, -10, EVENING, 90,
                   (("Lists and Tuples", 70), ("Functions", 30)), max_score=20),
    DemoAssessment("CSE 110", "Lab 6: Strings", HOMEWORK, 4, 2, EVENING, 90,
                   (("Strings and Text Processing", 100),), max_score=20),
    DemoAssessment("CSE 110", "Midterm Exam", MIDTERM, 20, 18, AFTERNOON, 75,
                   (("Loops", 20), ("Functions", 30), ("Lists and Tuples", 30),
                    ("Strings and Text Processing", 20))),
    DemoAssessment("CSE 110", "Project 2: Word Frequency Analyzer", PROJECT, 15, 24, EVENING, 600,
                   (("Strings and Text Processing", 30), ("Dictionaries and Sets", 30),
                    ("File Input and Output", 40))),

    DemoAssessment("CHEM 1411", "Exam 1", MIDTERM, 15, -24, AFTERNOON, 75,
                   (("Measurement and Significant Figures", 20), ("Atomic Structure", 35),
                    ("The Mole and Molar Mass", 45))),
    DemoAssessment("CHEM 1411", "Lab Report 4: Titration", HOMEWORK, 3, -4, EVENING, 120,
                   (("Stoichiometry", 50), ("Solution Chemistry", 50)), max_score=30),
    DemoAssessment("CHEM 1411", "Problem Set 6: Stoichiometry", HOMEWORK, 4, 5, EVENING, 150,
                   (("Stoichiometry", 100),)),
    DemoAssessment("CHEM 1411", "Quiz 4: Gas Laws", QUIZ, 3, 13, AFTERNOON, 20,
                   (("Gas Laws", 100),), max_score=10),
    DemoAssessment("CHEM 1411", "Exam 2", MIDTERM, 15, 27, AFTERNOON, 75,
                   (("Stoichiometry", 30), ("Solution Chemistry", 25), ("Gas Laws", 25),
                    ("Thermochemistry", 20))),

    DemoAssessment("HIST 1301", "Reading Response 3", HOMEWORK, 5, -12, EVENING, 60,
                   (("Road to Revolution", 50), ("The American Revolution", 50)), max_score=10),
    DemoAssessment("HIST 1301", "Reading Response 4", HOMEWORK, 5, -3, EVENING, 60,
                   (("The Constitution and the Early Republic", 100),), max_score=10),
    DemoAssessment("HIST 1301", "Primary Source Analysis", HOMEWORK, 10, 8, EVENING, 180,
                   (("The Constitution and the Early Republic", 60), ("Jacksonian Democracy", 40))),
    DemoAssessment("HIST 1301", "Research Paper", PROJECT, 20, 38, EVENING, 900,
                   (("Westward Expansion", 40), ("The Sectional Crisis", 60))),
)

# Strong in history and programming, shaky on derivatives and stoichiometry: the plan has real
# gaps to close before Midterm 2 and Exam 2.
RESULTS: tuple[DemoResult, ...] = (
    DemoResult("Midterm 1", "MATH 2413", 75,
               (("Limits", 9, 10), ("Limit Laws", 6, 8), ("Continuity and the IVT", 7, 12))),
    DemoResult("Quiz 1: Derivatives", "MATH 2413", 25,
               (("Definition of the Derivative", 3, 6), ("Basic Differentiation Rules", 4, 4))),
    DemoResult("Lab 4: Loops", "CSE 110", 110, (("Loops", 9, 10), ("Conditionals", 5, 5))),
    DemoResult("Lab 5: Lists", "CSE 110", 95, (("Lists and Tuples", 8, 10), ("Functions", 4, 5))),
    DemoResult("Exam 1", "CHEM 1411", 75,
               (("Measurement and Significant Figures", 8, 8), ("Atomic Structure", 9, 12),
                ("The Mole and Molar Mass", 7, 15))),
    DemoResult("Lab Report 4: Titration", "CHEM 1411", 140,
               (("Stoichiometry", 5, 10), ("Solution Chemistry", 7, 10))),
    DemoResult("Reading Response 3", "HIST 1301", 70,
               (("Road to Revolution", 5, 5), ("The American Revolution", 4, 5))),
    DemoResult("Reading Response 4", "HIST 1301", 65,
               (("The Constitution and the Early Republic", 9, 10),)),
)
# fmt: on
