"""Print the OpenAPI schema (the web app generates its types from it): python -m ticketbooth.openapi"""

import json
import sys

from ticketbooth.app import create_app
from ticketbooth.config import Settings


def main() -> None:
    app = create_app(Settings(web_dist="/nonexistent"))
    json.dump(app.openapi(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
